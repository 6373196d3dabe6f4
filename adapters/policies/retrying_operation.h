// A decorator that retries an operation's retryable failures.
//
// Retryable means the mapped status says so (status_mapping.h: throttling,
// 429, 408, 500, 502-504, connection failures; and once, at once, an attempt
// whose rejected credentials were refreshed). The retry loop lives here, not
// in adapters: an adapter makes exactly one attempt. Bounded by attempts and by
// the call's deadline; honours the upstream's retry delay; stops when the call
// is cancelled; never repeats a non-idempotent call that may have been applied
// upstream (only calls that provably never left, or were throttled, are).
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_RETRYING_OPERATION_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_RETRYING_OPERATION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "adapters/async/cancellable_timer.h"
#include "adapters/async/scheduler.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/operation/operation.h"
#include "adapters/policies/policy_observer.h"
#include "adapters/policies/retry_policy.h"

namespace linkgateway::adapters::policies {

// A uniform random number in [0, 1), for jitter.
inline double JitterRandom() {
  thread_local absl::BitGen gen;
  return absl::Uniform(gen, 0.0, 1.0);
}

template <typename Request, typename Response>
class RetryingOperation final : public adapters::operation::Operation<Request, Response> {
 public:
  using Inner = adapters::operation::Operation<Request, Response>;
  // Decides what a failure means when an earlier attempt may already have
  // done the work: the answer (a retried delete that now finds the target
  // gone proves it: success with already_deleted), an error (e.g. the
  // outcome cannot be told: adapters::errors::OutcomeUnknown), or nullopt (no special
  // meaning). Only consulted after such an attempt.
  using AlreadyDone =
      std::function<std::optional<absl::StatusOr<Response>>(absl::Status const&)>;

  RetryingOperation(std::shared_ptr<Inner> inner, RetryPolicy policy,
                    Idempotency idempotency,
                    adapters::async::Scheduler& scheduler, AlreadyDone already_done = nullptr,
                    std::function<double()> random = JitterRandom)
      : shared_(std::make_shared<Shared>(Shared{std::move(inner), policy, idempotency, scheduler,
                                                std::move(already_done), std::move(random)})) {}

  void Start(adapters::operation::CallContext const& context, Request const& request,
             adapters::operation::Callback<Response> done) override {
    auto call = std::make_shared<Call>(Call{shared_, context, request, std::move(done)});
    Attempt(std::move(call));
  }

  absl::Status Preflight() const override { return shared_->inner->Preflight(); }

  // Counts each repeated attempt there (may be null; set before first use).
  void set_observer(PolicyObserver* observer) { shared_->observer = observer; }

 private:
  struct Shared {
    std::shared_ptr<Inner> inner;
    RetryPolicy policy;
    Idempotency idempotency;
    adapters::async::Scheduler& scheduler;
    AlreadyDone already_done;
    std::function<double()> random;
    PolicyObserver* observer = nullptr;
  };

  // One gRPC call's retry state.
  struct Call {
    std::shared_ptr<Shared> shared;
    adapters::operation::CallContext context;
    Request request;
    adapters::operation::Callback<Response> done;
    int attempts = 0;
    bool maybe_applied = false;  // an earlier attempt may have reached the upstream
    bool reauthorized = false;   // the one repeat after refreshed credentials is used
  };

  static void Attempt(std::shared_ptr<Call> call) {
    ++call->attempts;
    auto* inner = call->shared->inner.get();
    inner->Start(call->context, call->request,
                 [call](absl::StatusOr<Response> result) mutable {
                   OnResult(std::move(call), std::move(result));
                 });
  }

  static void OnResult(std::shared_ptr<Call> call, absl::StatusOr<Response> result) {
    Shared& shared = *call->shared;
    if (result.ok()) return Finish(*call, std::move(result));
    absl::Status status = result.status();
    if (call->maybe_applied && shared.already_done) {
      if (auto answer = shared.already_done(status)) return Finish(*call, *std::move(answer));
    }
    adapters::errors::RetryClass retry_class = adapters::errors::RetryClassOf(status);
    // Rejected credentials were refreshed: one immediate repeat, no more.
    bool reauthorize = retry_class == adapters::errors::RetryClass::kRefreshedCredentials;
    if (reauthorize && call->reauthorized) retry_class = adapters::errors::RetryClass::kNone;
    // A throttle is an explicit refusal: the upstream did not apply the call.
    bool not_sent = adapters::errors::ProvablyNotSent(status) ||
                    retry_class == adapters::errors::RetryClass::kThrottle;
    bool cancelled = call->context.cancellation && call->context.cancellation->IsCancelled();
    bool may_repeat =
        shared.idempotency == Idempotency::kIdempotent || not_sent;

    absl::Duration delay = reauthorize ? absl::ZeroDuration()
                                       : BackoffDelay(
                                             shared.policy, call->attempts, shared.random());
    if (auto asked = adapters::errors::RetryDelayOf(status)) delay = std::max(delay, *asked);
    absl::Time next = shared.scheduler.Now() + delay;

    if (!may_repeat && retry_class == adapters::errors::RetryClass::kTransient) {
      // Not repeatable and maybe applied: the caller must not repeat it
      // blindly either (a standard retry policy would, on UNAVAILABLE).
      return Finish(*call, adapters::errors::OutcomeUnknown(
                               status,
                               "the request may have been applied before it failed, "
                               "and this operation must not be repeated"));
    }
    if (retry_class == adapters::errors::RetryClass::kNone || cancelled || !may_repeat ||
        call->attempts >= shared.policy.max_attempts || next >= call->context.deadline) {
      return Finish(*call, GiveUp(*call, std::move(status), retry_class, delay));
    }
    if (!not_sent) call->maybe_applied = true;
    if (reauthorize) call->reauthorized = true;
    if (shared.observer != nullptr) shared.observer->Retried();
    auto cancellation = call->context.cancellation;
    adapters::async::RunAtUnlessCancelled(
        shared.scheduler, next, cancellation, [call]() mutable { Attempt(std::move(call)); },
        [call] {
          Finish(*call, absl::CancelledError("the call was cancelled while waiting to retry"));
        });
  }

  // The last error, saying how many attempts were made; a throttle that
  // outlived the retries tells the caller when to come back.
  static absl::Status GiveUp(Call const& call, absl::Status status,
                             adapters::errors::RetryClass retry_class, absl::Duration next_delay) {
    if (call.attempts > 1) {
      absl::Status annotated(status.code(), absl::StrCat(status.message(), " (gave up after ",
                                                         call.attempts, " attempts)"));
      status.ForEachPayload([&](absl::string_view key, absl::Cord const& value) {
        annotated.SetPayload(key, value);
      });
      status = std::move(annotated);
    }
    if (retry_class == adapters::errors::RetryClass::kThrottle &&
        !adapters::errors::RetryDelayOf(status)) {
      adapters::errors::SetRetryDelay(status, next_delay);
    }
    return status;
  }

  static void Finish(Call& call, absl::StatusOr<Response> result) {
    std::move(call.done)(std::move(result));
  }

  std::shared_ptr<Shared> shared_;
};

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_RETRYING_OPERATION_H_
