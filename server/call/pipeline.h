// The one path every call takes once its request is read — a caller's RPC
// (unary_call.h, stream_call.h) or an unlink step acting for its job's
// caller — in this order:
//
//   1. authentication: a caller that did not prove who it is is refused;
//   2. the target: the request names what it is for (Method::CheckTarget);
//   3. authorization: the policy allows every Access the method needs;
//   4. the request's checks: request_id, then the method's own (its
//      provider serves it, the provider's rules);
//   5. a dry run (validate_only) is answered here (Method::DryRun);
//   6. the audit trail can record the call (audited methods);
//   7. request_id records (AIP-155): a repeat is answered from the first
//      call's recorded outcome;
//   8. Call::before_run (an unlink step's intent), then the method's work;
//   9. the request_id's outcome is recorded (or released when nothing was
//      sent);
//  10. audited methods: one audit record for every outcome, refusals
//      included, on disk before the outcome is reported.
//
// Admission to the gateway (a stream slot on the caller's connection and
// one of the gateway's calls in flight) comes before, at stream start.
#ifndef LINKGATEWAY_SERVER_CALL_PIPELINE_H_
#define LINKGATEWAY_SERVER_CALL_PIPELINE_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "server/call/call.h"
#include "server/call/method.h"
#include "server/call/serving.h"

namespace linkgateway::server::call {

struct Outcome {
  // What the method (or a refusal) answered.
  absl::StatusOr<Method::Response> result;
  // OK, or why the call's audit record could not be made durable (audited
  // methods only).
  absl::Status audit;
  // The call's audit record when it has one (audited methods).
  linkgateway::audit::v1::AuditRecord record;
};

// What the caller is told: the result, unless its audit record could not
// be written — then UNAVAILABLE when nothing was sent, else UNKNOWN (not
// retried by standard policies) with what the provider said.
absl::StatusOr<Method::Response> AnswerOf(Outcome const& outcome, Call const& call);

class Pipeline {
 public:
  explicit Pipeline(Serving const& serving);

  // Returns once every call this pipeline started has reported its outcome
  // (its `done` has returned). Whoever owns what the calls use (the
  // methods, the serving parts, the audit trail) calls this before they go:
  // an unlink step's call may still be finishing after the server stopped.
  void WaitForCalls() const;

  Serving const& serving() const { return serving_; }

  // Steps 1-10 for `request` (a message of method.request_prototype()'s
  // type); `done` runs once, on any thread.
  void Run(std::shared_ptr<Call> call, Method const& method,
           std::shared_ptr<google::protobuf::Message const> request,
           absl::AnyInvocable<void(Outcome) &&> done) const;

  // Steps 1-4 for a stream about to open: OK, or the refusal (recorded when
  // the method is audited; `done` runs once either way).
  void Admit(std::shared_ptr<Call> call, Method const& method,
             std::shared_ptr<google::protobuf::Message const> request,
             absl::AnyInvocable<void(Outcome) &&> done) const;

 private:
  class Flow;
  struct InFlight;

  Serving const& serving_;
  // Shared with each call, which may outlive the pipeline by its last step.
  std::shared_ptr<InFlight> const in_flight_;
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_PIPELINE_H_
