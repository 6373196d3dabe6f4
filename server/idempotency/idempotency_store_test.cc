// The same contract for both stores: in process (manual clock) and in a real
// redis-server; then the shared store's fallback while Redis is down.
#include "server/idempotency/idempotency_store.h"

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/shared_state/redis_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/idempotency/redis_idempotency_store.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::server::idempotency {
namespace {

using linkgateway::state::v1::IdempotencyRecord;
using State = Begun::State;

absl::StatusOr<Begun> BeginNow(IdempotencyStore& store, IdempotencyKey const& key,
                               std::string const& fingerprint,
                               absl::Duration running = absl::Seconds(30)) {
  absl::Notification done;
  absl::StatusOr<Begun> result;
  store.Begin(key, fingerprint, absl::Now() + running, [&](absl::StatusOr<Begun> begun) {
    result = std::move(begun);
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    return absl::DeadlineExceededError("no answer");
  }
  return result;
}

IdempotencyRecord Outcome(std::string response) {
  IdempotencyRecord record;
  record.set_fingerprint("fp-1");
  record.set_ok(true);
  record.set_response(std::move(response));
  return record;
}

// Finish and Abandon are not answered: wait until a Begin sees their effect.
void ExpectEventually(IdempotencyStore& store, IdempotencyKey const& key, State state) {
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  absl::StatusOr<Begun> begun;
  for (;;) {
    begun = BeginNow(store, key, "fp-1");
    if ((begun.ok() && begun->state == state) || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(begun->state, state);
}

class StoreContractTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!GetParam()) {
      store_ = std::make_unique<MemoryIdempotencyStore>(100);
      return;
    }
    auto server = tests::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    adapters::shared_state::RedisOptions options;
    options.port = server_->port();
    redis_ = std::make_unique<adapters::shared_state::RedisClient>(options);
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!redis_->connected() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(redis_->connected());
    fallback_ = std::make_unique<MemoryIdempotencyStore>(100);
    store_ = std::make_unique<RedisIdempotencyStore>(*redis_, "test:", *fallback_,
                                                     [this] { ++fallbacks_; });
  }

  std::unique_ptr<tests::testing::RedisServer> server_;
  std::unique_ptr<adapters::shared_state::RedisClient> redis_;
  std::unique_ptr<MemoryIdempotencyStore> fallback_;
  std::unique_ptr<IdempotencyStore> store_;
  std::atomic<int> fallbacks_{0};
  IdempotencyKey const key_{"spiffe://example/ops", "/svc/Delete",
                            "1b4e28ba-2fa1-11d2-883f-0016d3cca427"};
};

TEST_P(StoreContractTest, FirstRunningThenReplayedAndMismatchedByFingerprint) {
  auto first = BeginNow(*store_, key_, "fp-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state, State::kStarted);
  EXPECT_EQ(BeginNow(*store_, key_, "fp-1")->state, State::kInProgress);
  EXPECT_EQ(BeginNow(*store_, key_, "fp-2")->state, State::kMismatch);
  store_->Finish(key_, Outcome("the answer"), absl::Hours(24));
  ExpectEventually(*store_, key_, State::kReplay);
  auto replay = BeginNow(*store_, key_, "fp-1");
  EXPECT_EQ(replay->record.response(), "the answer");
  EXPECT_TRUE(replay->record.done());
  EXPECT_EQ(BeginNow(*store_, key_, "fp-2")->state, State::kMismatch);
  // Another caller, another method: their own records.
  IdempotencyKey other = key_;
  other.caller = "someone-else";
  EXPECT_EQ(BeginNow(*store_, other, "fp-1")->state, State::kStarted);
  EXPECT_EQ(fallbacks_, 0);
}

TEST_P(StoreContractTest, AnAbandonedClaimLetsTheRetryGoAhead) {
  EXPECT_EQ(BeginNow(*store_, key_, "fp-1")->state, State::kStarted);
  store_->Abandon(key_);
  ExpectEventually(*store_, key_, State::kInProgress);  // the retry's own claim
}

TEST_P(StoreContractTest, AClaimLapsesWhenItsCallerMayHaveCrashed) {
  EXPECT_EQ(BeginNow(*store_, key_, "fp-1", absl::Milliseconds(50))->state, State::kStarted);
  absl::SleepFor(absl::Milliseconds(120));  // the claim's own lifetime: the thing under test
  EXPECT_EQ(BeginNow(*store_, key_, "fp-1")->state, State::kStarted);
}

INSTANTIATE_TEST_SUITE_P(MemoryAndRedis, StoreContractTest, ::testing::Bool(),
                         [](auto const& info) { return info.param ? "Redis" : "Memory"; });

TEST(MemoryIdempotencyStoreTest, BoundedLeastRecentlyUsedFirst) {
  MemoryIdempotencyStore store(2);
  IdempotencyKey a{"", "m", "a"}, b{"", "m", "b"}, c{"", "m", "c"};
  ASSERT_TRUE(BeginNow(store, a, "fp").ok());
  ASSERT_TRUE(BeginNow(store, b, "fp").ok());
  ASSERT_TRUE(BeginNow(store, a, "fp").ok());  // a is the more recent now
  ASSERT_TRUE(BeginNow(store, c, "fp").ok());  // b goes
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(BeginNow(store, a, "fp")->state, State::kInProgress);
  EXPECT_EQ(BeginNow(store, b, "fp")->state, State::kStarted);
}

TEST(MemoryIdempotencyStoreTest, RecordsExpireAfterTheirRetention) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  MemoryIdempotencyStore store(10, [&now] { return now; });
  IdempotencyKey key{"", "m", "id"};
  absl::Notification started;
  store.Begin(key, "fp-1", now + absl::Seconds(30),
              [&](absl::StatusOr<Begun>) { started.Notify(); });
  store.Finish(key, Outcome("x"), absl::Hours(24));
  now += absl::Hours(23);
  store.Begin(key, "fp-1", now + absl::Seconds(30),
              [](absl::StatusOr<Begun> begun) { EXPECT_EQ(begun->state, State::kReplay); });
  now += absl::Hours(2);
  store.Begin(key, "fp-1", now + absl::Seconds(30),
              [](absl::StatusOr<Begun> begun) { EXPECT_EQ(begun->state, State::kStarted); });
}

TEST(RedisIdempotencyStoreTest, FallsBackWhileRedisIsDownAndSharesAgainAfter) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  adapters::shared_state::RedisOptions options;
  options.port = (*server)->port();
  options.reconnect_interval = absl::Milliseconds(50);
  adapters::shared_state::RedisClient redis(options);
  MemoryIdempotencyStore fallback(100);
  int fallbacks = 0;
  RedisIdempotencyStore store(redis, "test:", fallback, [&] { ++fallbacks; });
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!redis.connected() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));

  (*server)->Stop();
  IdempotencyKey key{"", "m", "down"};
  EXPECT_EQ(BeginNow(store, key, "fp-1")->state, State::kStarted);
  EXPECT_EQ(fallbacks, 1);
  EXPECT_EQ(BeginNow(store, key, "fp-1")->state, State::kInProgress);  // same replica: deduplicated
  store.Finish(key, Outcome("kept here"), absl::Hours(1));
  EXPECT_EQ(fallback.size(), 1u);

  ASSERT_TRUE((*server)->Restart().ok());
  give_up = absl::Now() + absl::Seconds(10);
  while (!redis.connected() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  IdempotencyKey after{"", "m", "up"};
  EXPECT_EQ(BeginNow(store, after, "fp-1")->state, State::kStarted);
  int before = fallbacks;
  EXPECT_EQ(BeginNow(store, after, "fp-1")->state, State::kInProgress);
  EXPECT_EQ(fallbacks, before);  // answered by Redis
}

}  // namespace
}  // namespace linkgateway::server::idempotency
