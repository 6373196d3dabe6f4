// A rate limit every replica shares: one GCRA bucket in Redis, updated by an
// atomic script with Redis's own clock (one round trip per call start; no
// skew between replicas' clocks). While Redis is unreachable each replica
// keeps to its share (rate / replicas, burst / replicas but at least 1,
// starting empty so a failover adds no burst); the log and a metric say so.
// Nothing Redis forgets hands out a burst the provider did not grant: a
// Redis that came back empty fills its buckets from empty over one period,
// and a replica that admitted calls on its share empties the shared bucket
// when Redis is back.
#ifndef LINKGATEWAY_ADAPTERS_SHARED_STATE_SHARED_RATE_LIMITER_H_
#define LINKGATEWAY_ADAPTERS_SHARED_STATE_SHARED_RATE_LIMITER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "adapters/async/scheduler.h"
#include "adapters/policies/rate_limiter.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/shared_state/redis_client.h"

namespace linkgateway::adapters::shared_state {

class SharedRateLimiter final : public adapters::policies::RateLimiter {
 public:
  // `key` names the bucket (e.g. the operation and the application it is
  // for); `replicas` sizes the fallback share. `redis` and `clock` must
  // outlive the limiter; `on_fallback` (may be empty) is told each time a
  // call is limited locally. `epoch_key` (default `key` + ":epoch") holds when
  // Redis's data set began; limiters of one gateway share one.
  SharedRateLimiter(RedisClient& redis, std::string key, double rate_per_second, int burst,
                    int replicas, adapters::async::Scheduler& clock,
                    std::function<void()> on_fallback = nullptr, std::string epoch_key = "");

  void Reserve(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done) override;
  double rate() const override { return rate_; }
  int burst() const override { return burst_; }

 private:
  void Locally(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done);

  RedisClient& redis_;
  std::string const key_;
  std::string const epoch_key_;
  double const rate_;
  int const burst_;
  adapters::async::Scheduler& clock_;
  std::shared_ptr<adapters::policies::TokenBucket> const share_bucket_;
  adapters::policies::LocalRateLimiter share_;
  std::function<void()> const on_fallback_;
  std::atomic<bool> degraded_{false};
  // Calls were admitted on this replica's share since Redis last answered.
  std::atomic<bool> owes_reconcile_{false};
};

}  // namespace linkgateway::adapters::shared_state

#endif  // LINKGATEWAY_ADAPTERS_SHARED_STATE_SHARED_RATE_LIMITER_H_
