// The same contract for both stores: in process (manual clock) and in a real
// redis-server; then what the shared store does when Redis is unreachable,
// stalled, restarted (with and without persistence) or restarted empty.
#include "server/idempotency/idempotency_store.h"

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/shared_state/redis_client.h"
#include "adapters/errors/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/idempotency/redis_idempotency_store.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::server::idempotency {
namespace {

using linkgateway::state::v1::IdempotencyRecord;
using State = Begun::State;
using ::testing::HasSubstr;

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
    RedisIdempotencyOptions records;
    records.key_prefix = "test:";
    records.on_fallback = [this] { ++fallbacks_; };
    store_ = std::make_unique<RedisIdempotencyStore>(*redis_, *fallback_, records);
  }

  // The client stops first: its answers and listeners reach the store.
  void TearDown() override { redis_.reset(); }

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

// One replica's view of a shared Redis: its client, its own records and
// the store.
struct Replica {
  Replica(tests::testing::RedisServer const& server, bool only_replica = false,
          absl::Duration retention = absl::Hours(1)) {
    adapters::shared_state::RedisOptions redis_options;
    redis_options.port = server.port();
    redis_options.reconnect_interval = absl::Milliseconds(50);
    redis_options.max_reconnect_backoff = absl::Milliseconds(200);
    redis_options.command_timeout = absl::Milliseconds(100);
    redis = std::make_unique<adapters::shared_state::RedisClient>(redis_options);
    RedisIdempotencyOptions options;
    options.key_prefix = "test:";
    options.retention = retention;
    options.allow_local_claims = only_replica;
    options.on_refusal = [this](absl::string_view reason) {
      absl::MutexLock lock(&mu);
      refusals.emplace_back(reason);
    };
    store = std::make_unique<RedisIdempotencyStore>(*redis, own, options);
    EXPECT_TRUE(redis->WaitForFirstAttempt(absl::Seconds(10)).ok());
    // The epoch is learned with the first session.
    absl::SleepFor(absl::Milliseconds(50));
  }
  // The client stops first: its answers and listeners reach the store.
  ~Replica() { redis.reset(); }

  bool WaitConnected(bool up = true) {
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (redis->connected() != up && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    return redis->connected() == up;
  }
  bool WaitUnhealthy() {
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (store->health().ok() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    return !store->health().ok();
  }

  MemoryIdempotencyStore own{100};
  std::unique_ptr<adapters::shared_state::RedisClient> redis;
  std::unique_ptr<RedisIdempotencyStore> store;
  absl::Mutex mu;
  std::vector<std::string> refusals;
};

std::string ReasonOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return adapters::errors::FindDetail(status, info) ? info.reason() : "";
}

IdempotencyKey Key(std::string id) { return {"svc", "/svc/Delete", std::move(id)}; }

TEST(RedisIdempotencyStoreTest, WhileRedisIsUnreachableNoIdIsClaimedOnOneReplicaOfSeveral) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  Replica a(**server);
  ASSERT_EQ(BeginNow(*a.store, Key("done-before"), "fp-1")->state, State::kStarted);
  a.store->Finish(Key("done-before"), Outcome("kept"), absl::Hours(1));
  (*server)->Stop();
  ASSERT_TRUE(a.WaitConnected(false));
  // Another replica may hold this id's record: nothing can be claimed.
  auto refused = BeginNow(*a.store, Key("down"), "fp-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(refused.status()), "IDEMPOTENCY_UNAVAILABLE");
  // This replica's own record still answers its own retries.
  auto replay = BeginNow(*a.store, Key("done-before"), "fp-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->state, State::kReplay);
  EXPECT_EQ(replay->record.response(), "kept");
}

TEST(RedisIdempotencyStoreTest, TheOnlyReplicaKeepsItsRecordsAndGivesThemToRedisWhenItIsBack) {
  tests::testing::RedisServerOptions durable;
  durable.persistent = true;
  auto server = tests::testing::RedisServer::Start(durable);
  ASSERT_TRUE(server.ok());
  Replica only(**server, /*only_replica=*/true);
  (*server)->Stop();
  ASSERT_TRUE(only.WaitConnected(false));
  ASSERT_EQ(BeginNow(*only.store, Key("down"), "fp-1")->state, State::kStarted);
  EXPECT_EQ(BeginNow(*only.store, Key("down"), "fp-1")->state, State::kInProgress);
  only.store->Finish(Key("down"), Outcome("made while Redis was down"), absl::Hours(1));
  EXPECT_EQ(only.store->unacknowledged(), 1u);
  ASSERT_TRUE((*server)->Restart().ok());
  ASSERT_TRUE(only.WaitConnected(true));
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (only.store->unacknowledged() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(only.store->unacknowledged(), 0u);
  Replica later(**server);  // a fresh view: only what Redis holds
  auto seen = BeginNow(*later.store, Key("down"), "fp-1");
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->state, State::kReplay);
  EXPECT_EQ(seen->record.response(), "made while Redis was down");
}

// Finding 1 of issue 24: Redis without persistence was killed and started
// again; the same request_id then started a second irreversible delete.
TEST(RedisIdempotencyStoreTest, ARedisRestartedEmptyIsNoticedAndIdsWithoutARecordAreRefused) {
  auto server = tests::testing::RedisServer::Start();  // no persistence
  ASSERT_TRUE(server.ok());
  Replica a(**server), b(**server);
  ASSERT_EQ(BeginNow(*a.store, Key("x"), "fp-1")->state, State::kStarted);
  a.store->Finish(Key("x"), Outcome("the first delete"), absl::Hours(1));
  ExpectEventually(*b.store, Key("x"), State::kReplay);

  ASSERT_TRUE((*server)->Restart().ok());  // kill -9, back empty
  ASSERT_TRUE(a.WaitUnhealthy());
  ASSERT_TRUE(b.WaitUnhealthy());
  EXPECT_THAT(b.store->health().message(), HasSubstr("run_id"));
  // A gave its own record back: B replays it instead of deleting again.
  absl::StatusOr<Begun> again;
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    again = BeginNow(*b.store, Key("x"), "fp-1");
  } while ((!again.ok() || again->state != State::kReplay) && absl::Now() < give_up);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, State::kReplay);
  EXPECT_EQ(again->record.response(), "the first delete");
  // An id nobody holds a record of may have been sent before the loss.
  auto unknown = BeginNow(*b.store, Key("y"), "fp-1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(unknown.status()), "REQUEST_ID_UNVERIFIABLE");
  EXPECT_THAT(unknown.status().message(), HasSubstr("cannot be vouched for"));
  // So does a replica that started after the loss: Redis tells it.
  Replica c(**server);
  auto on_c = BeginNow(*c.store, Key("z"), "fp-1");
  EXPECT_EQ(ReasonOf(on_c.status()), "REQUEST_ID_UNVERIFIABLE") << on_c.status();
}

TEST(RedisIdempotencyStoreTest, AnEmptiedRedisIsNoticedByItsEpochEvenWithPersistence) {
  tests::testing::RedisServerOptions durable;
  durable.persistent = true;
  auto server = tests::testing::RedisServer::Start(durable);
  ASSERT_TRUE(server.ok());
  Replica a(**server, false, /*retention=*/absl::Seconds(2));
  ASSERT_EQ(BeginNow(*a.store, Key("x"), "fp-1")->state, State::kStarted);
  ASSERT_TRUE((*server)->RestartEmpty().ok());  // its disk lost
  ASSERT_TRUE(a.WaitConnected(true));
  auto refused = BeginNow(*a.store, Key("y"), "fp-1");
  EXPECT_EQ(ReasonOf(refused.status()), "REQUEST_ID_UNVERIFIABLE") << refused.status();
  EXPECT_FALSE(a.store->health().ok());
  // The refusals last as long as the lost records would have (retention).
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  absl::StatusOr<Begun> later;
  do {
    absl::SleepFor(absl::Milliseconds(100));
    later = BeginNow(*a.store, Key("y"), "fp-1");
  } while (!later.ok() && absl::Now() < give_up);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->state, State::kStarted);
  EXPECT_TRUE(a.store->health().ok());
}

TEST(RedisIdempotencyStoreTest, ADurableRedisRestartedLosesNothingAndRefusesNothing) {
  tests::testing::RedisServerOptions durable;
  durable.persistent = true;
  auto server = tests::testing::RedisServer::Start(durable);
  ASSERT_TRUE(server.ok());
  Replica a(**server), b(**server);
  ASSERT_EQ(BeginNow(*a.store, Key("x"), "fp-1")->state, State::kStarted);
  a.store->Finish(Key("x"), Outcome("kept on disk"), absl::Hours(1));
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (a.store->unacknowledged() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::string run_id = b.redis->session().run_id;
  ASSERT_TRUE((*server)->Restart().ok());  // kill -9, back with its append-only file
  give_up = absl::Now() + absl::Seconds(10);
  while (b.redis->session().run_id == run_id && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(b.WaitConnected(true));
  auto replay = BeginNow(*b.store, Key("x"), "fp-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->state, State::kReplay);
  EXPECT_EQ(BeginNow(*b.store, Key("new"), "fp-1")->state, State::kStarted);
  EXPECT_TRUE(a.store->health().ok());
  EXPECT_TRUE(b.store->health().ok());
}

TEST(RedisIdempotencyStoreTest, AnOutcomeRedisDidNotTakeIsWrittenOnceItAnswersAgain) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  Replica a(**server), b(**server);
  ASSERT_EQ(BeginNow(*a.store, Key("x"), "fp-1")->state, State::kStarted);
  (*server)->Pause();
  a.store->Finish(Key("x"), Outcome("answered during a stall"), absl::Hours(1));
  absl::SleepFor(absl::Milliseconds(300));  // the write times out: the thing under test
  EXPECT_EQ(a.store->unacknowledged(), 1u);
  (*server)->Resume();
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (a.store->unacknowledged() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(a.store->unacknowledged(), 0u);
  ExpectEventually(*b.store, Key("x"), State::kReplay);
}

TEST(RedisIdempotencyStoreTest, AHarmlessRepeatGoesAheadWhenRecordsCannotBeChecked) {
  auto server = tests::testing::RedisServer::Start();
  ASSERT_TRUE(server.ok());
  Replica a(**server), b(**server);
  IdempotencyKey harmless = Key("sp");
  harmless.repeat_is_harmless = true;
  ASSERT_TRUE((*server)->Restart().ok());  // records lost
  ASSERT_TRUE(b.WaitUnhealthy());
  EXPECT_EQ(ReasonOf(BeginNow(*b.store, Key("imi"), "fp-1").status()), "REQUEST_ID_UNVERIFIABLE");
  auto after_loss = BeginNow(*b.store, harmless, "fp-1");
  ASSERT_TRUE(after_loss.ok()) << after_loss.status();
  EXPECT_EQ(after_loss->state, State::kStarted);
  (*server)->Stop();
  ASSERT_TRUE(a.WaitConnected(false));
  IdempotencyKey down = Key("sp-down");
  down.repeat_is_harmless = true;
  auto unreachable = BeginNow(*a.store, down, "fp-1");
  ASSERT_TRUE(unreachable.ok()) << unreachable.status();
  EXPECT_EQ(unreachable->state, State::kStarted);
  EXPECT_EQ(BeginNow(*a.store, Key("imi-down"), "fp-1").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace linkgateway::server::idempotency
