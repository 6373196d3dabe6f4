#include "adapters/policies/token_bucket.h"

#include <algorithm>

namespace linkgateway::adapters::policies {

TokenBucket::TokenBucket(double rate_per_second, int burst, adapters::async::Scheduler& clock,
                         bool start_full)
    : rate_(rate_per_second),
      burst_(burst),
      clock_(clock),
      tokens_(start_full ? burst : 0),
      updated_(clock.Now()) {}

void TokenBucket::Refill(absl::Time now) {
  if (now > updated_) {
    tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - updated_) * rate_);
    updated_ = now;
  }
}

std::optional<absl::Time> TokenBucket::Reserve(absl::Time latest) {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  Refill(now);
  absl::Time start = now;
  if (tokens_ < 1.0) start = now + absl::Seconds((1.0 - tokens_) / rate_);
  if (start > latest) return std::nullopt;
  tokens_ -= 1.0;
  return start;
}

absl::Duration TokenBucket::WaitForNext() {
  absl::MutexLock lock(&mu_);
  Refill(clock_.Now());
  return tokens_ >= 1.0 ? absl::ZeroDuration() : absl::Seconds((1.0 - tokens_) / rate_);
}

void TokenBucket::Empty() {
  absl::MutexLock lock(&mu_);
  Refill(clock_.Now());
  tokens_ = std::min(tokens_, 0.0);
}

}  // namespace linkgateway::adapters::policies
