// A token bucket (rate per second, burst) that hands out start times, so
// callers over the rate queue in order instead of being refused.
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_TOKEN_BUCKET_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_TOKEN_BUCKET_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/scheduler.h"

namespace linkgateway::adapters::policies {

class TokenBucket {
 public:
  // Starts full (`burst` calls may go at once), or empty (the first call
  // waits one interval: a bucket standing in for a share of another one).
  // `clock` must outlive it.
  TokenBucket(double rate_per_second, int burst, adapters::async::Scheduler& clock,
              bool start_full = true);

  // Takes one token: returns when the call may start (now, or later once the
  // bucket has refilled), or nullopt — taking nothing — if that would be
  // after `latest`.
  std::optional<absl::Time> Reserve(absl::Time latest) ABSL_LOCKS_EXCLUDED(mu_);

  // How long until a call reserved now could start.
  absl::Duration WaitForNext() ABSL_LOCKS_EXCLUDED(mu_);

  // Takes every token now (queued calls keep their starts).
  void Empty() ABSL_LOCKS_EXCLUDED(mu_);

  double rate() const { return rate_; }
  int burst() const { return burst_; }

 private:
  void Refill(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  double const rate_;
  int const burst_;
  adapters::async::Scheduler& clock_;
  absl::Mutex mu_;
  // Below zero: calls already queued for future tokens.
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time updated_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_TOKEN_BUCKET_H_
