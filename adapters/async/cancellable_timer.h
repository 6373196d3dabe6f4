// A wait on the Scheduler that a call's cancellation cuts short.
#ifndef LINKGATEWAY_ADAPTERS_ASYNC_CANCELLABLE_TIMER_H_
#define LINKGATEWAY_ADAPTERS_ASYNC_CANCELLABLE_TIMER_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/async/scheduler.h"

namespace linkgateway::adapters::async {

// Runs `proceed` at `when`, unless `cancellation` (may be null) fires first:
// then `cancelled` runs at once instead. Exactly one of the two runs, so a
// caller waiting in a queue or a backoff is answered as soon as it cancels.
void RunAtUnlessCancelled(Scheduler& scheduler, absl::Time when,
                          std::shared_ptr<Cancellation> const& cancellation,
                          absl::AnyInvocable<void() &&> proceed,
                          absl::AnyInvocable<void() &&> cancelled);

}  // namespace linkgateway::adapters::async

#endif  // LINKGATEWAY_ADAPTERS_ASYNC_CANCELLABLE_TIMER_H_
