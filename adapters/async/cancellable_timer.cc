#include "adapters/async/cancellable_timer.h"

#include <atomic>
#include <utility>

namespace linkgateway::adapters::async {
namespace {

struct Race {
  std::atomic<bool> settled{false};
  absl::AnyInvocable<void() &&> proceed;
  absl::AnyInvocable<void() &&> cancelled;
  std::shared_ptr<Cancellation> cancellation;
  Cancellation::Id id = 0;
};

}  // namespace

void RunAtUnlessCancelled(Scheduler& scheduler, absl::Time when,
                          std::shared_ptr<Cancellation> const& cancellation,
                          absl::AnyInvocable<void() &&> proceed,
                          absl::AnyInvocable<void() &&> cancelled) {
  auto race = std::make_shared<Race>();
  race->proceed = std::move(proceed);
  race->cancelled = std::move(cancelled);
  race->cancellation = cancellation;
  if (cancellation) {
    // Runs inline (and settles the race) when the call is already cancelled.
    race->id = cancellation->OnCancel([race] {
      if (!race->settled.exchange(true)) std::move(race->cancelled)();
    });
    if (race->settled.load()) return;
  }
  scheduler.RunAt(when, [race] {
    if (race->settled.exchange(true)) return;
    if (race->cancellation && race->id != 0) race->cancellation->Remove(race->id);
    std::move(race->proceed)();
  });
}

}  // namespace linkgateway::adapters::async
