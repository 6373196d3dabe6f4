// SharedRateLimiter against a real redis-server: two limiters stand for two
// replicas sharing one bucket; then Redis goes away and comes back.
#include "adapters/shared_state/shared_rate_limiter.h"

#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::adapters::shared_state {
namespace {

// Redis's clock is the wall clock: so is this one (no timers needed here).
class WallClock final : public adapters::async::Scheduler {
 public:
  absl::Time Now() override { return absl::Now(); }
  void RunAt(absl::Time, absl::AnyInvocable<void() &&> fn) override { std::move(fn)(); }
};

adapters::policies::RateLimiter::Decision ReserveNow(adapters::policies::RateLimiter& limiter,
                                                     absl::Duration max_wait) {
  absl::Notification done;
  adapters::policies::RateLimiter::Decision decision;
  limiter.Reserve(absl::Now() + max_wait, [&](adapters::policies::RateLimiter::Decision d) {
    decision = d;
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  return decision;
}

class SharedRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tests::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    RedisOptions options;
    options.port = server_->port();
    options.reconnect_interval = absl::Milliseconds(50);
    redis_ = std::make_unique<RedisClient>(options);
    ASSERT_TRUE(WaitConnected(true));
    AgeTheDataSet();
  }

  // As if Redis had kept its data for long: a missing bucket is full.
  void AgeTheDataSet() {
    absl::Notification done;
    redis_->Command({"SET", "test:bucket:epoch", "0"},
                    [&](absl::StatusOr<RedisReply>) { done.Notify(); });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }

  bool WaitConnected(bool connected) {
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (redis_->connected() != connected && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    return redis_->connected() == connected;
  }

  std::unique_ptr<SharedRateLimiter> Replica(double rate, int burst, int replicas = 2) {
    return std::make_unique<SharedRateLimiter>(*redis_, "test:bucket", rate, burst, replicas,
                                               clock_, [this] { ++fallbacks_; });
  }

  WallClock clock_;
  std::unique_ptr<tests::testing::RedisServer> server_;
  std::unique_ptr<RedisClient> redis_;
  std::atomic<int> fallbacks_{0};
};

TEST_F(SharedRateLimiterTest, ReplicasShareOneBurst) {
  auto a = Replica(10, 3), b = Replica(10, 3);
  int admitted = 0, refused = 0;
  for (int i = 0; i < 6; ++i) {
    auto decision = ReserveNow(i % 2 == 0 ? *a : *b, absl::ZeroDuration());
    if (decision.start) {
      ++admitted;
    } else {
      ++refused;
      EXPECT_GT(decision.next_free, absl::ZeroDuration());
      EXPECT_LE(decision.next_free, absl::Milliseconds(100));
    }
  }
  // Together: the burst, not twice it (the 10/s refill adds at most one in
  // the milliseconds this takes).
  EXPECT_GE(admitted, 3);
  EXPECT_LE(admitted, 4);
  EXPECT_EQ(admitted + refused, 6);
  EXPECT_EQ(fallbacks_, 0);
}

TEST_F(SharedRateLimiterTest, CallsBeyondTheBurstQueueAtTheRate) {
  auto a = Replica(10, 2), b = Replica(10, 2);
  absl::Time start = absl::Now();
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 5; ++i) {
    auto decision = ReserveNow(i % 2 == 0 ? *a : *b, absl::Seconds(2));
    ASSERT_TRUE(decision.start);
    waits.push_back(*decision.start - start);
  }
  // Two at once, then one each 100 ms, whichever replica asked.
  EXPECT_LT(waits[1], absl::Milliseconds(50));
  EXPECT_GT(waits[2], absl::Milliseconds(50));
  EXPECT_GT(waits[4], absl::Milliseconds(250));
  EXPECT_LT(waits[4], absl::Milliseconds(400));
}

TEST_F(SharedRateLimiterTest, WithoutRedisEachReplicaKeepsToItsShareThenSharesAgain) {
  auto a = Replica(4, 4, /*replicas=*/2);  // share: 2/s, burst 2, starting empty
  server_->Stop();
  ASSERT_TRUE(WaitConnected(false));
  auto now = ReserveNow(*a, absl::ZeroDuration());
  EXPECT_FALSE(now.start) << "a failover must not add a burst";
  EXPECT_GE(fallbacks_, 1);
  auto queued = ReserveNow(*a, absl::Seconds(2));
  ASSERT_TRUE(queued.start);
  absl::Duration wait = *queued.start - absl::Now();
  EXPECT_GT(wait, absl::Milliseconds(300));  // one token at 2/s: ~500 ms
  EXPECT_LT(wait, absl::Milliseconds(600));

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(WaitConnected(true));
  int before = fallbacks_;
  // Shared again, from an empty bucket (this replica admitted a call alone,
  // and Redis came back empty): one interval (250 ms at 4/s), not a burst.
  EXPECT_FALSE(ReserveNow(*a, absl::ZeroDuration()).start);
  auto shared = ReserveNow(*a, absl::Seconds(1));
  ASSERT_TRUE(shared.start);
  EXPECT_GT(*shared.start - absl::Now(), absl::Milliseconds(100));
  EXPECT_EQ(fallbacks_, before);
}

// Finding 2 of issue 24: Redis restarted empty handed out the full burst
// again, though the provider's bucket had just been spent.
TEST_F(SharedRateLimiterTest, ARedisThatCameBackEmptyHandsOutNoFreshBurst) {
  auto a = Replica(10, 5), b = Replica(10, 5);
  int admitted = 0;
  for (int i = 0; i < 5; ++i) admitted += ReserveNow(i % 2 ? *a : *b, absl::ZeroDuration()).start ? 1 : 0;
  EXPECT_GE(admitted, 5);
  ASSERT_TRUE(server_->RestartEmpty().ok());
  ASSERT_TRUE(WaitConnected(true));
  absl::Time back = absl::Now();
  // The buckets are gone; the data set is new: it fills from empty, one
  // token per 100 ms, the whole burst only after 500 ms.
  admitted = 0;
  absl::Time first_start = absl::InfiniteFuture();
  for (int i = 0; i < 5; ++i) {
    auto decision = ReserveNow(i % 2 ? *a : *b, absl::Milliseconds(450));
    if (decision.start) {
      ++admitted;
      first_start = std::min(first_start, *decision.start);
    }
  }
  EXPECT_GT(first_start - back, absl::Milliseconds(50)) << "a fresh burst right after the restart";
  EXPECT_LE(admitted, 5);
  EXPECT_EQ(fallbacks_, 0);
}

TEST_F(SharedRateLimiterTest, AReplicaThatAdmittedCallsAloneEmptiesTheSharedBucketOnReturn) {
  auto a = Replica(10, 4, /*replicas=*/2);  // share: 5/s, burst 2
  // Redis stalls (its data stays): commands time out, the replica keeps to
  // its share and admits calls the shared bucket never hears of.
  server_->Pause();
  int alone = 0;
  for (int i = 0; i < 3; ++i) alone += ReserveNow(*a, absl::Milliseconds(400)).start ? 1 : 0;
  EXPECT_GE(alone, 1);
  EXPECT_GE(fallbacks_, 1);
  absl::SleepFor(absl::Milliseconds(500));  // a full shared period: the stale bucket refilled
  server_->Resume();
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  adapters::policies::RateLimiter::Decision decision;
  int before;
  do {
    before = fallbacks_;
    decision = ReserveNow(*a, absl::ZeroDuration());
  } while (fallbacks_ != before && absl::Now() < give_up);  // until Redis answers again
  EXPECT_FALSE(decision.start) << "the shared bucket forgot what this replica admitted";
}

}  // namespace
}  // namespace linkgateway::adapters::shared_state
