// Time for the upstream core: a clock and timers. Production code uses the
// transport's event loop; tests use a manual scheduler, so no test sleeps.
#ifndef LINKGATEWAY_ADAPTERS_ASYNC_SCHEDULER_H_
#define LINKGATEWAY_ADAPTERS_ASYNC_SCHEDULER_H_

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace linkgateway::adapters::async {

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  virtual absl::Time Now() = 0;

  // Runs `fn` at or soon after `when` (at once if `when` has passed), never
  // inside this call.
  virtual void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) = 0;
};

}  // namespace linkgateway::adapters::async

#endif  // LINKGATEWAY_ADAPTERS_ASYNC_SCHEDULER_H_
