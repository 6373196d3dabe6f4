// Where a rate-limited operation gets its start times: this gateway's own
// token bucket, or a bucket shared by every replica (adapters/shared_state).
// Asynchronous, since the shared one asks Redis.
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITER_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITER_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "adapters/policies/token_bucket.h"

namespace linkgateway::adapters::policies {

class RateLimiter {
 public:
  struct Decision {
    std::optional<absl::Time> start;  // when the call may start; nullopt: not by `latest`
    absl::Duration next_free;         // for a refusal's RetryInfo
  };

  virtual ~RateLimiter() = default;
  // Reserves a start no later than `latest`; `done` runs once, on any thread.
  virtual void Reserve(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done) = 0;
  virtual double rate() const = 0;
  virtual int burst() const = 0;
};

// This gateway's own bucket; answers at once.
class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(std::shared_ptr<TokenBucket> bucket) : bucket_(std::move(bucket)) {}

  void Reserve(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done) override {
    auto start = bucket_->Reserve(latest);
    std::move(done)(Decision{start, start ? absl::ZeroDuration() : bucket_->WaitForNext()});
  }
  double rate() const override { return bucket_->rate(); }
  int burst() const override { return bucket_->burst(); }

 private:
  std::shared_ptr<TokenBucket> const bucket_;
};

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITER_H_
