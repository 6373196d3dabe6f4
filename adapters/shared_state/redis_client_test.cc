// RedisClient against a real redis-server on a free loopback port.
#include "adapters/shared_state/redis_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::adapters::shared_state {
namespace {

using ::testing::HasSubstr;
using tests::testing::RedisServer;

// Sends one command and waits (bounded) for its answer.
absl::StatusOr<RedisReply> Send(RedisClient& client, std::vector<std::string> args) {
  absl::Notification done;
  absl::StatusOr<RedisReply> result;
  client.Command(std::move(args), [&](absl::StatusOr<RedisReply> reply) {
    result = std::move(reply);
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    return absl::DeadlineExceededError("no answer in 10 s");
  }
  return result;
}

// Waits (bounded) until the client says it is connected.
bool WaitConnected(RedisClient& client, bool connected = true) {
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (client.connected() != connected && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  return client.connected() == connected;
}

RedisOptions OptionsFor(tests::testing::RedisServer const& server) {
  RedisOptions options;
  options.port = server.port();
  options.reconnect_interval = absl::Milliseconds(50);
  return options;
}

TEST(RedisClientTest, RepliesOfEveryType) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisClient client(OptionsFor(**server));
  ASSERT_TRUE(WaitConnected(client));

  auto set = Send(client, {"SET", "key", "value with \r\n bytes"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->text, "OK");
  auto get = Send(client, {"GET", "key"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->text, "value with \r\n bytes");
  EXPECT_EQ(Send(client, {"GET", "missing"})->type, RedisReply::Type::kNil);
  auto incr = Send(client, {"INCRBY", "counter", "41"});
  EXPECT_EQ(incr->integer, 41);
  auto array = Send(client, {"EVAL", "return {1, 'two'}", "0"});
  ASSERT_EQ(array->type, RedisReply::Type::kArray);
  ASSERT_EQ(array->elements.size(), 2u);
  EXPECT_EQ(array->elements[1].text, "two");
  auto error = Send(client, {"INCR", "key"});
  ASSERT_TRUE(error.ok());  // an error reply is an answer
  EXPECT_EQ(error->type, RedisReply::Type::kError);
}

TEST(RedisClientTest, UnreachableFailsFastThenConnectsWhenRedisComes) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  (*server)->Stop();
  RedisClient client(OptionsFor(**server));
  absl::Time start = absl::Now();
  auto result = Send(client, {"PING"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));  // answered at once, not at a timeout
  ASSERT_TRUE((*server)->Restart().ok());
  ASSERT_TRUE(WaitConnected(client));
  EXPECT_EQ(Send(client, {"PING"})->text, "PONG");
}

TEST(RedisClientTest, ACrashAnswersWhatIsInFlightAndReconnects) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  RedisClient client(OptionsFor(**server));
  ASSERT_TRUE(WaitConnected(client));
  (*server)->Stop();
  ASSERT_TRUE(WaitConnected(client, false));
  EXPECT_EQ(Send(client, {"PING"}).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  ASSERT_TRUE(WaitConnected(client));
  EXPECT_EQ(Send(client, {"PING"})->text, "PONG");
}

TEST(RedisClientTest, ACommandWithoutAnAnswerInTimeFails) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  RedisOptions options = OptionsFor(**server);
  options.command_timeout = absl::Milliseconds(100);
  RedisClient client(options);
  ASSERT_TRUE(WaitConnected(client));
  // Redis runs one command at a time: a script that spins blocks it.
  absl::Notification blocked;
  // Spin for one whole second in microseconds (whole seconds alone may
  // tick over at once).
  client.Command({"EVAL", "local t = redis.call('TIME'); while true do "
                          "local n = redis.call('TIME'); "
                          "if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) >= 1000000 "
                          "then break end end",
                  "0"},
                 [&](absl::StatusOr<RedisReply>) { blocked.Notify(); });
  auto late = Send(client, {"PING"});
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(late.status().message(), HasSubstr("no answer in time"));
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // Afterwards the connection still works; the late PONG was dropped.
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  absl::StatusOr<RedisReply> pong;
  do {
    pong = Send(client, {"PING"});
  } while (!pong.ok() && absl::Now() < give_up);
  EXPECT_EQ(pong->text, "PONG");
}

TEST(RedisClientTest, PasswordIsSentAndAWrongOneIsRefused) {
  auto server = tests::testing::RedisServer::Start("correct-horse");
  ASSERT_TRUE(server.ok());
  RedisOptions options = OptionsFor(**server);
  options.password = "correct-horse";
  RedisClient client(options);
  ASSERT_TRUE(WaitConnected(client));
  EXPECT_EQ(Send(client, {"SET", "k", "v"})->text, "OK");

  options.password = "wrong";
  RedisClient wrong(options);
  absl::StatusOr<RedisReply> refused;
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  do {
    refused = Send(wrong, {"GET", "k"});
  } while (refused.ok() && refused->type != RedisReply::Type::kError && absl::Now() < give_up);
  // Either the NOAUTH reply or a closed connection: never the value.
  if (refused.ok()) {
    EXPECT_EQ(refused->type, RedisReply::Type::kError);
  }
}

}  // namespace
}  // namespace linkgateway::adapters::shared_state
