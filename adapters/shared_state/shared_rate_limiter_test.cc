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
  EXPECT_TRUE(ReserveNow(*a, absl::ZeroDuration()).start);  // the shared bucket, fresh
  EXPECT_EQ(fallbacks_, before);
}

}  // namespace
}  // namespace linkgateway::adapters::shared_state
