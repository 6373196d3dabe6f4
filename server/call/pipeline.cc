#include "server/call/pipeline.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "observability/log/log.h"
#include "server/call/refusals.h"
#include "server/idempotency/records.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::call {

namespace reason = adapters::errors::reason;

absl::StatusOr<Method::Response> AnswerOf(Outcome const& outcome, Call const& call) {
  if (outcome.audit.ok()) return outcome.result;
  // Nothing may pass unrecorded.
  if (call.trace->sends.load() == 0) return outcome.audit;
  return adapters::errors::WithErrorInfo(
      absl::UnknownError(absl::StrCat(outcome.audit.message(), "; the provider was called")),
      reason::kAuditUnavailable, adapters::errors::kGatewayDomain,
      {{"upstreamOutcome", absl::StatusCodeToString(outcome.result.status().code())}});
}

struct Pipeline::InFlight {
  absl::Mutex mu;
  int calls ABSL_GUARDED_BY(mu) = 0;
};

Pipeline::Pipeline(Serving const& serving)
    : serving_(serving), in_flight_(std::make_shared<InFlight>()) {}

void Pipeline::WaitForCalls() const {
  absl::MutexLock lock(&in_flight_->mu);
  auto none = [this] {
    in_flight_->mu.AssertReaderHeld();
    return in_flight_->calls == 0;
  };
  // Bounded in practice by the calls' deadlines; said when it takes long.
  if (in_flight_->mu.AwaitWithTimeout(absl::Condition(&none), absl::Seconds(5))) return;
  observability::log::Warning("stopping: waiting for ", in_flight_->calls,
                              " calls in flight to finish");
  in_flight_->mu.Await(absl::Condition(&none));
}

// One call's way through the stages; deletes itself once `done` has run.
class Pipeline::Flow {
 public:
  Flow(Serving const& serving, std::shared_ptr<InFlight> in_flight, std::shared_ptr<Call> call,
       Method const& method, std::shared_ptr<google::protobuf::Message const> request,
       absl::AnyInvocable<void(Outcome) &&> done, bool admit_only)
      : serving_(serving),
        in_flight_(std::move(in_flight)),
        call_(std::move(call)),
        method_(method),
        request_(std::move(request)),
        done_(std::move(done)),
        admit_only_(admit_only) {
    absl::MutexLock lock(&in_flight_->mu);
    ++in_flight_->calls;
  }

  void Start() {
    google::protobuf::Message const& request = *request_;
    // Who: before anything about the request is looked at.
    if (!call_->authenticated.ok()) return Finish(call_->authenticated);
    if (absl::Status valid = method_.CheckTarget(request); !valid.ok()) return Finish(valid);
    call_->served_account = method_.ServedAccount(request);
    std::vector<Access> const accesses = method_.Accesses(request);
    if (accesses.size() == 1) call_->facts.account = accesses.front().account;
    // May they: before the request's fields are checked or anything is done.
    if (absl::Status allowed = Authorize(accesses); !allowed.ok()) return Finish(allowed);
    if (absl::Status valid = idempotency::ValidateRequestId(request); !valid.ok()) {
      return Finish(valid);
    }
    if (absl::Status valid = method_.Check(request); !valid.ok()) return Finish(valid);
    if (admit_only_) return Finish(Method::Response());
    // A dry run: everything a real call would check, nothing done.
    if (request::ValidateOnly(request)) {
      working_ = true;  // a dry run is an answer, not a refusal
      return Finish(method_.DryRun(*call_, request));
    }
    // Fail closed: nothing the audit trail could not record.
    if (method_.audited()) {
      if (absl::Status ready = serving_.audit.Ready(); !ready.ok()) return Finish(ready);
      audit_admitted_ = true;  // room is kept for its record
    }
    std::string request_id =
        method_.keeps_request_ids() ? idempotency::IdempotencyIdOf(request) : "";
    if (request_id.empty()) return BeforeRun();
    // The first call with a request_id runs, a repeat gets the recorded
    // outcome (AIP-155).
    key_ = {call_->facts.caller.principal, call_->facts.method, request_id};
    fingerprint_ = idempotency::FingerprintOf(request);
    serving_.idempotency.Begin(
        key_, fingerprint_, call_->deadline + absl::Seconds(5),
        [this](absl::StatusOr<idempotency::Begun> begun) { OnBegun(std::move(begun)); });
  }

 private:
  absl::Status Authorize(std::vector<Access> const& accesses) {
    if (serving_.policy == nullptr) return absl::OkStatus();
    auto policy = serving_.policy->Get();
    for (Access const& access : accesses) {
      auto decision = policy->Evaluate(
          {call_->facts.caller.principal, access.method, access.provider, access.account});
      call_->facts.policy_rule = decision.rule;
      if (!decision.allowed) {
        return Within(access.field, NotAllowed(call_->facts.caller.principal, access.method,
                                               access.provider, access.account));
      }
    }
    return absl::OkStatus();
  }

  void OnBegun(absl::StatusOr<idempotency::Begun> begun) {
    if (!begun.ok()) return Finish(begun.status());
    std::string const& request_id = key_.request_id;
    switch (begun->state) {
      case idempotency::Begun::State::kStarted:
        claimed_ = true;
        return BeforeRun();
      case idempotency::Begun::State::kMismatch:
        return Finish(idempotency::RequestIdReused(request_->GetDescriptor()->name(), request_id));
      case idempotency::Begun::State::kInProgress:
        return Finish(idempotency::RequestInProgress(request_id));
      case idempotency::Begun::State::kReplay:
        break;
    }
    call_->facts.replayed = true;
    if (!begun->record.ok()) return Finish(idempotency::ReplayedStatus(begun->record));
    Method::Response response(method_.response_prototype().New());
    if (!idempotency::ReplayedResponse(begun->record, *response)) {
      return Finish(absl::InternalError("the recorded outcome of this request_id cannot be read"));
    }
    Finish(std::move(response));
  }

  void BeforeRun() {
    working_ = true;
    if (!call_->before_run) return RunMethod();
    call_->before_run([this](absl::Status ready) {
      if (!ready.ok()) return Finish(std::move(ready));
      RunMethod();
    });
  }

  void RunMethod() {
    method_.Run(call_, request_, [this](absl::StatusOr<Method::Response> result) {
      Settle(result);
      Finish(std::move(result));
    });
  }

  // Keeps the outcome of a claimed request_id when a provider may have
  // acted on the call; otherwise lets the id go, so a retry can run.
  void Settle(absl::StatusOr<Method::Response> const& result) {
    if (!claimed_) return;
    claimed_ = false;
    if (call_->trace->sends.load() == 0) return serving_.idempotency.Abandon(key_);
    serving_.idempotency.Finish(
        key_,
        idempotency::RecordOf(fingerprint_, result.status(), result.ok() ? result->get() : nullptr),
        serving_.idempotency_retention);
  }

  // Exactly once per call.
  void Finish(absl::StatusOr<Method::Response> result) {
    Outcome outcome;
    outcome.result = std::move(result);
    if (!method_.audited()) return Report(std::move(outcome));
    google::protobuf::Message const* response =
        outcome.result.ok() ? outcome.result->get() : nullptr;
    outcome.record = audit::MakeAuditRecord(call_->facts, *request_, outcome.result.status(),
                                            response, call_->trace.get(), absl::Now());
    if (!call_->unlink_operation.empty()) {
      outcome.record.set_unlink_operation(call_->unlink_operation);
      outcome.record.set_unlink_step(call_->unlink_step);
    }
    if (!working_ && !outcome.result.ok()) {
      // Refused before any work: recorded within the peer's budget, and
      // compactly when the caller is not even known.
      if (!serving_.refusals.Take(call_->facts.caller.peer, absl::Now())) {
        serving_.metrics.AuditRefusalDropped();
        outcome.record.Clear();
        return Report(std::move(outcome));
      }
      if (!call_->authenticated.ok()) {
        outcome.record.clear_target();
        outcome.record.clear_idempotency_id();
        outcome.record.clear_request_id();
      }
    }
    // The outcome waits on the heap for its record to be written: the record
    // is read where it is, not copied.
    auto waiting = std::make_unique<Outcome>(std::move(outcome));
    auto const& record = waiting->record;
    serving_.audit.Append(
        record,
        [this, waiting = std::move(waiting)](absl::Status written) {
          serving_.metrics.AuditWritten(written.ok());
          waiting->audit = std::move(written);
          Report(std::move(*waiting));
        },
        audit_admitted_);
  }

  void Report(Outcome outcome) {
    auto done = std::move(done_);
    std::shared_ptr<InFlight> in_flight = std::move(in_flight_);
    delete this;
    std::move(done)(std::move(outcome));
    // Last: the pipeline, and what `done` used, may go once it is counted.
    absl::MutexLock lock(&in_flight->mu);
    --in_flight->calls;
  }

  Serving const& serving_;
  std::shared_ptr<InFlight> in_flight_;
  std::shared_ptr<Call> const call_;
  Method const& method_;
  std::shared_ptr<google::protobuf::Message const> const request_;
  absl::AnyInvocable<void(Outcome) &&> done_;
  bool const admit_only_;
  idempotency::IdempotencyKey key_;
  std::string fingerprint_;
  bool claimed_ = false;  // this call holds its request_id's claim
  bool working_ = false;  // past the checks: a dry run's answer, or the work
  bool audit_admitted_ = false;  // the audit trail keeps room for its record
};

void Pipeline::Run(std::shared_ptr<Call> call, Method const& method,
                   std::shared_ptr<google::protobuf::Message const> request,
                   absl::AnyInvocable<void(Outcome) &&> done) const {
  (new Flow(serving_, in_flight_, std::move(call), method, std::move(request), std::move(done),
            /*admit_only=*/false))
      ->Start();
}

void Pipeline::Admit(std::shared_ptr<Call> call, Method const& method,
                     std::shared_ptr<google::protobuf::Message const> request,
                     absl::AnyInvocable<void(Outcome) &&> done) const {
  (new Flow(serving_, in_flight_, std::move(call), method, std::move(request), std::move(done),
            /*admit_only=*/true))
      ->Start();
}

}  // namespace linkgateway::server::call
