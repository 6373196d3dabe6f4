// A Scheduler whose clock only moves when the test moves it, so retry,
// backoff, rate-limit and token-expiry tests never sleep.
#ifndef LINKGATEWAY_ADAPTERS_TESTING_MANUAL_SCHEDULER_H_
#define LINKGATEWAY_ADAPTERS_TESTING_MANUAL_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/async/scheduler.h"

namespace linkgateway::adapters::testing {

class ManualScheduler : public adapters::async::Scheduler {
 public:
  explicit ManualScheduler(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : now_(start) {}

  absl::Time Now() override ABSL_LOCKS_EXCLUDED(mu_);
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Moves the clock forward, running every timer that falls due on the way
  // (in time order, including timers those timers add).
  void AdvanceBy(absl::Duration duration) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs timers due now (e.g. RunAt(Now(), ...)).
  void RunDue() { AdvanceBy(absl::ZeroDuration()); }

  int pending() const ABSL_LOCKS_EXCLUDED(mu_);
  // When the next timer falls due; InfiniteFuture() when none.
  absl::Time next() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<absl::Time, std::uint64_t>, absl::AnyInvocable<void() &&>> timers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_MANUAL_SCHEDULER_H_
