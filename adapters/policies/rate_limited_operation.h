// A decorator that keeps an operation within the upstream's usage plan
// (client-side token bucket), so the gateway queues calls instead of earning
// 429s. A call that could not start before its deadline (or the configured
// longest wait) fails fast: RESOURCE_EXHAUSTED with RetryInfo, never sent.
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITED_OPERATION_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITED_OPERATION_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "adapters/async/cancellable_timer.h"
#include "adapters/async/scheduler.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/operation/operation.h"
#include "adapters/policies/policy_observer.h"
#include "adapters/policies/rate_limiter.h"
#include "adapters/policies/token_bucket.h"

namespace linkgateway::adapters::policies {

// The least time a queued call must have left when it starts.
inline constexpr absl::Duration kStartMargin = absl::Milliseconds(200);
// A call allowed no wait still takes a turn that comes within this (the
// bucket's clock has moved on a little since the call asked).
inline constexpr absl::Duration kNowTolerance = absl::Milliseconds(20);

template <typename Request, typename Response>
class RateLimitedOperation final : public adapters::operation::Operation<Request, Response> {
 public:
  using Inner = adapters::operation::Operation<Request, Response>;

  // `name` (e.g. "Selling Partner API deleteSubscriptionById") appears in the
  // error; `max_wait` caps how long a call may queue.
  RateLimitedOperation(std::shared_ptr<Inner> inner,
                       std::shared_ptr<RateLimiter> limiter,
                       adapters::async::Scheduler& scheduler, std::string name,
                       absl::Duration max_wait = absl::InfiniteDuration())
      : inner_(std::move(inner)),
        limiter_(std::move(limiter)),
        scheduler_(scheduler),
        name_(std::move(name)),
        max_wait_(max_wait) {}

  // This gateway's own bucket.
  RateLimitedOperation(std::shared_ptr<Inner> inner,
                       std::shared_ptr<TokenBucket> bucket,
                       adapters::async::Scheduler& scheduler, std::string name,
                       absl::Duration max_wait = absl::InfiniteDuration())
      : RateLimitedOperation(
            std::move(inner),
            std::make_shared<LocalRateLimiter>(std::move(bucket)), scheduler,
            std::move(name), max_wait) {}

  absl::Status Preflight() const override { return inner_->Preflight(); }

  // Records waits and refusals there (may be null; set before first use).
  void set_observer(PolicyObserver* observer) { observer_ = observer; }

  void Start(adapters::operation::CallContext const& context, Request const& request,
             adapters::operation::Callback<Response> done) override {
    // Its turn was taken before it was queued (TakeTurnNow).
    if (context.turn_taken != nullptr && context.turn_taken->exchange(false)) {
      return inner_->Start(context, request, std::move(done));
    }
    absl::Time now = scheduler_.Now();
    // A start in the call's last moments could not finish: such a call is
    // refused now (with RetryInfo), like one that could not start at all.
    absl::Time latest =
        std::min(context.deadline - kStartMargin,
                 now + std::max(kNowTolerance, std::min(max_wait_, context.max_queue_wait)));
    auto pending = std::make_shared<adapters::operation::Callback<Response>>(std::move(done));
    limiter_->Reserve(latest, [this, context, request, pending,
                               now](RateLimiter::Decision decision) mutable {
      if (!decision.start) {
        if (observer_ != nullptr) observer_->RateLimitRejected();
        return std::move(*pending)(Refused(decision.next_free));
      }
      if (*decision.start <= scheduler_.Now()) {
        return inner_->Start(context, request, std::move(*pending));
      }
      if (observer_ != nullptr) observer_->RateLimitWaited(*decision.start - now);
      // Queued: the call starts at its turn, or is answered at once if the
      // caller cancels while it waits.
      adapters::async::RunAtUnlessCancelled(
          scheduler_, *decision.start, context.cancellation,
          [inner = inner_, context, request, pending]() mutable {
            inner->Start(context, request, std::move(*pending));
          },
          [pending] {
            std::move(*pending)(absl::CancelledError("the call was cancelled while queued"));
          });
    });
  }

 private:
  absl::Status Refused(absl::Duration next_free) const {
    absl::Status status = adapters::errors::WithErrorInfo(
        absl::ResourceExhaustedError(absl::StrFormat(
            "%s is limited to %g requests/s (burst %d); this call could not start before its "
            "deadline",
            name_, limiter_->rate(), limiter_->burst())),
        adapters::errors::reason::kClientRateLimited, adapters::errors::kGatewayDomain,
        {{"operation", name_},
         {"ratePerSecond", absl::StrCat(limiter_->rate())},
         {"burst", absl::StrCat(limiter_->burst())}});
    // Not retried here: the reservation already looked as far as the
    // deadline allows. The caller gets the RetryInfo.
    adapters::errors::SetRetryClass(status, adapters::errors::RetryClass::kNone);
    adapters::errors::MarkNotSent(status);
    adapters::errors::SetRetryDelay(status, next_free);
    return status;
  }

  std::shared_ptr<Inner> inner_;
  std::shared_ptr<RateLimiter> limiter_;
  adapters::async::Scheduler& scheduler_;
  std::string const name_;
  absl::Duration const max_wait_;
  PolicyObserver* observer_ = nullptr;
};

// Takes a turn of `limiter` if one is free now (within kNowTolerance):
// `done(0)`; else `done(time until the next one)`, nothing taken. For work
// that waits in a queue of its own (operation::ProviderRegistry::delete_turns).
inline void TakeTurnNow(RateLimiter& limiter, adapters::async::Scheduler& scheduler,
                        absl::AnyInvocable<void(absl::Duration) &&> done) {
  absl::Time now = scheduler.Now();
  limiter.Reserve(now + kNowTolerance,
                  [done = std::move(done)](RateLimiter::Decision decision) mutable {
                    std::move(done)(decision.start.has_value()
                                        ? absl::ZeroDuration()
                                        : std::max(decision.next_free, absl::Milliseconds(1)));
                  });
}

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_RATE_LIMITED_OPERATION_H_
