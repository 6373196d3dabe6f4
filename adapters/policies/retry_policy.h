// How much to retry and how long to wait between attempts (google-cloud-cpp
// keeps these apart too: a retry policy and a backoff policy).
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_H_

#include <algorithm>
#include <cmath>

#include "absl/time/time.h"

namespace linkgateway::adapters::policies {

// Whether repeating an operation is harmless once the upstream may have seen
// it. A non-idempotent one is retried only when the request provably never
// reached the upstream.
enum class Idempotency { kIdempotent, kNonIdempotent };

struct RetryPolicy {
  // Attempts in all, the first included (AWS SDK standard mode: 3).
  int max_attempts = 3;
  // Exponential backoff with full jitter: attempt n waits a uniform random
  // time in [0, min(max_backoff, initial_backoff * multiplier^(n-1))], or at
  // least what the upstream asked for (Retry-After).
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(20);
  double multiplier = 2.0;
};

// The wait after failed attempt `attempt` (1-based), `random01` in [0, 1].
inline absl::Duration BackoffDelay(RetryPolicy const& policy, int attempt, double random01) {
  double cap = absl::ToDoubleSeconds(policy.max_backoff);
  double ceiling = std::min(cap, absl::ToDoubleSeconds(policy.initial_backoff) *
                                     std::pow(policy.multiplier, attempt - 1));
  return absl::Seconds(std::clamp(random01, 0.0, 1.0) * ceiling);
}

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_H_
