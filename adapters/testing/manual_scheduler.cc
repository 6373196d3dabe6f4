#include "adapters/testing/manual_scheduler.h"

namespace linkgateway::adapters::testing {

absl::Time ManualScheduler::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

void ManualScheduler::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  absl::MutexLock lock(&mu_);
  timers_.emplace(std::make_pair(when, sequence_++), std::move(fn));
}

void ManualScheduler::AdvanceBy(absl::Duration duration) {
  absl::Time target;
  {
    absl::MutexLock lock(&mu_);
    target = now_ + duration;
  }
  for (;;) {
    absl::AnyInvocable<void() &&> fn;
    {
      absl::MutexLock lock(&mu_);
      if (timers_.empty() || timers_.begin()->first.first > target) {
        now_ = target;
        return;
      }
      auto first = timers_.begin();
      now_ = std::max(now_, first->first.first);
      fn = std::move(first->second);
      timers_.erase(first);
    }
    std::move(fn)();
  }
}

int ManualScheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(timers_.size());
}

absl::Time ManualScheduler::next() const {
  absl::MutexLock lock(&mu_);
  return timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first.first;
}

}  // namespace linkgateway::adapters::testing
