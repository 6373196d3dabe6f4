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
using ::testing::Not;
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

// A client of `server` with `password`, once its first attempt ended.
std::unique_ptr<RedisClient> AuthenticatedClient(RedisServer const& server,
                                                 std::string const& password) {
  RedisOptions options = OptionsFor(server);
  options.password = password;
  auto client = std::make_unique<RedisClient>(options);
  EXPECT_TRUE(client->WaitForFirstAttempt(absl::Seconds(10)).ok());
  return client;
}

TEST(RedisClientTest, PasswordIsSentAndAWrongOneIsRefused) {
  auto server = tests::testing::RedisServer::Start("correct-horse");
  ASSERT_TRUE(server.ok());
  auto client = AuthenticatedClient(**server, "correct-horse");
  ASSERT_TRUE(WaitConnected(*client));
  EXPECT_EQ(Send(*client, {"SET", "k", "v"})->text, "OK");

  RedisOptions options = OptionsFor(**server);
  options.password = "wrong";
  RedisClient wrong(options);
  absl::StatusOr<RedisReply> refused = Send(wrong, {"GET", "k"});
  // Never the value: the client is not connected at all.
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
}

// Finding 3 of issue 24: a wrong password was retried every 0.5 s for ever
// with a log line each time, and the client said it was connected.
TEST(RedisClientTest, AWrongPasswordIsAClearFailureThatBacksOff) {
  auto server = tests::testing::RedisServer::Start("correct-horse");
  ASSERT_TRUE(server.ok());
  RedisOptions options = OptionsFor(**server);
  options.password = "wrong";
  options.reconnect_interval = absl::Milliseconds(50);
  options.max_reconnect_backoff = absl::Milliseconds(400);
  RedisClient client(options);
  absl::Status first = client.WaitForFirstAttempt(absl::Seconds(10));
  EXPECT_EQ(first.code(), absl::StatusCode::kUnauthenticated) << first;
  EXPECT_THAT(first.message(), HasSubstr("refused shared_state.password"));
  EXPECT_THAT(first.message(), Not(HasSubstr("wrong")));  // never the password itself
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.health().code(), absl::StatusCode::kUnauthenticated);
  int before = client.connection_attempts();
  absl::SleepFor(absl::Seconds(2));  // the backoff itself is under test
  int attempts = client.connection_attempts() - before;
  // 50, 100, 200, 400, 400 ... ms (±20%): about 6 in 2 s; a fixed 50 ms
  // would be 40.
  EXPECT_GE(attempts, 3);
  EXPECT_LE(attempts, 10);
  EXPECT_FALSE(client.connected());
}

TEST(RedisClientTest, AMissingPasswordIsNotAConnection) {
  auto server = tests::testing::RedisServer::Start("correct-horse");
  ASSERT_TRUE(server.ok());
  RedisClient client(OptionsFor(**server));  // no password
  absl::Status first = client.WaitForFirstAttempt(absl::Seconds(10));
  EXPECT_EQ(first.code(), absl::StatusCode::kUnauthenticated) << first;
  EXPECT_THAT(first.message(), HasSubstr("requires a password"));
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(Send(client, {"PING"}).status().code(), absl::StatusCode::kUnavailable);
}

TEST(RedisClientTest, APasswordChangedLaterDisconnectsAndSaysWhy) {
  auto server = tests::testing::RedisServer::Start("correct-horse");
  ASSERT_TRUE(server.ok());
  auto authenticated = AuthenticatedClient(**server, "correct-horse");
  RedisClient& client = *authenticated;
  ASSERT_TRUE((*server)->SetPassword("battery-staple").ok());
  // Existing connections stay authenticated; a new one is refused.
  (*server)->Stop();
  ASSERT_TRUE((*server)->Restart().ok());
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (client.health().code() != absl::StatusCode::kUnauthenticated && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(client.health().code(), absl::StatusCode::kUnauthenticated) << client.health();
  EXPECT_FALSE(client.connected());
}

TEST(RedisClientTest, EachConnectionIsASessionWithTheServersRunIdAndPersistence) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  RedisClient client(OptionsFor(**server));
  ASSERT_TRUE(client.WaitForFirstAttempt(absl::Seconds(10)).ok());
  RedisSession first = client.session();
  EXPECT_EQ(first.number, 1u);
  EXPECT_EQ(first.run_id.size(), 40u);
  EXPECT_TRUE(first.persistence.known);
  EXPECT_FALSE(first.persistence.aof_enabled);
  EXPECT_FALSE(first.persistence.durable());
  absl::Mutex mu;
  std::vector<RedisSession> seen;
  client.AddSessionListener([&](RedisSession const& session) {
    absl::MutexLock lock(&mu);
    seen.push_back(session);
  });
  ASSERT_TRUE((*server)->Restart().ok());
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (;;) {
    {
      absl::MutexLock lock(&mu);
      if (seen.size() >= 2 || absl::Now() > give_up) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);  // the current one at once, then the new one
  EXPECT_EQ(seen[0].run_id, first.run_id);
  EXPECT_EQ(seen[1].number, 2u);
  EXPECT_NE(seen[1].run_id, first.run_id);  // a restart is a new run_id

  tests::testing::RedisServerOptions durable;
  durable.persistent = true;
  auto persistent = tests::testing::RedisServer::Start(durable);
  ASSERT_TRUE(persistent.ok());
  RedisClient on_disk(OptionsFor(**persistent));
  ASSERT_TRUE(on_disk.WaitForFirstAttempt(absl::Seconds(10)).ok());
  EXPECT_TRUE(on_disk.session().persistence.durable()) << on_disk.session().persistence.Describe();
}

TEST(RedisClientTest, AStalledServerIsUnhealthyThenDroppedAndFoundAgain) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  RedisOptions options = OptionsFor(**server);
  options.command_timeout = absl::Milliseconds(100);
  options.heartbeat_interval = absl::Milliseconds(100);
  options.stall_disconnect_after = absl::Seconds(1);
  RedisClient client(options);
  ASSERT_TRUE(client.WaitForFirstAttempt(absl::Seconds(10)).ok());
  EXPECT_TRUE(client.health().ok());
  (*server)->Pause();
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (client.health().ok() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(client.health().code(), absl::StatusCode::kUnavailable);
  give_up = absl::Now() + absl::Seconds(10);
  while (client.connected() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(client.connected()) << "a stalled connection is dropped";
  (*server)->Resume();
  give_up = absl::Now() + absl::Seconds(10);
  while (!client.health().ok() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(client.health().ok()) << client.health();
  EXPECT_EQ(Send(client, {"PING"})->text, "PONG");
}

TEST(RedisClientTest, AfterRunsOnTheClientsThreadAndPendingOnesAreDroppedAtTheEnd) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  auto client = std::make_unique<RedisClient>(OptionsFor(**server));
  absl::Notification ran;
  client->After(absl::Milliseconds(20), [&] { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  bool never = false;
  client->After(absl::Hours(1), [&never] { never = true; });
  client.reset();  // freed, not run
  EXPECT_FALSE(never);
}

}  // namespace
}  // namespace linkgateway::adapters::shared_state
