// The one path every RPC takes: take a slot (or shed the call), check the
// target and enums, find the provider's operation, run the provider's
// validation, start it, finish the reactor with its outcome.
#ifndef LINKGATEWAY_SERVER_DISPATCH_H_
#define LINKGATEWAY_SERVER_DISPATCH_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/operation/operation.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpc_status.h"
#include "server/serving.h"
#include "server/validation.h"

namespace linkgateway::server {

// The caller's deadline, or now + `default_deadline` when it sent none.
inline absl::Time EffectiveDeadline(grpc::CallbackServerContext const& context,
                                    absl::Duration default_deadline) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::Now() + default_deadline;
  }
  return absl::FromChrono(deadline);
}

// UNIMPLEMENTED naming the provider (the request's target field).
template <typename Request>
absl::Status ProviderNotServed(Request const& request) {
  auto const* field = request.GetDescriptor()->FindFieldByNumber(request.target_case());
  std::string provider = field == nullptr ? "unknown" : field->name();
  return core::WithErrorInfo(
      absl::UnimplementedError(absl::StrCat("provider \"", provider, "\" does not serve ",
                                            request.GetDescriptor()->name(),
                                            " in this gateway yet")),
      core::reason::kProviderNotImplemented, core::kGatewayDomain, {{"provider", provider}});
}

// One unary call: finishes with the operation's outcome, turns the caller's
// cancellation into the adapters' Cancellation, and holds a slot of the
// limiter (if it got one) until gRPC is done with the call.
template <typename Response>
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(Response* response, CallLimiter* slot)
      : response_(response), slot_(slot),
        cancellation_(std::make_shared<core::Cancellation>()) {}

  std::shared_ptr<core::Cancellation> const& cancellation() const { return cancellation_; }

  // Exactly once; `response_` stays valid until then.
  void Complete(absl::StatusOr<Response> result) {
    if (!result.ok()) return Finish(ToGrpcStatus(result.status()));
    *response_ = *std::move(result);
    Finish(grpc::Status::OK);
  }

  void OnCancel() override { cancellation_->Cancel(); }
  void OnDone() override {
    if (slot_ != nullptr) slot_->Release();
    delete this;
  }

 private:
  Response* response_;
  CallLimiter* slot_;
  std::shared_ptr<core::Cancellation> cancellation_;
};

template <typename Request, typename Response>
grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* context,
                                   Request const* request, Response* response,
                                   adapters::OperationTable<Request, Response> const& table,
                                   Serving const& serving) {
  if (!serving.limiter.TryAcquire()) {
    auto* shed = new UnaryCall<Response>(response, nullptr);
    shed->Complete(serving.limiter.Overloaded());
    return shed;
  }
  auto* call = new UnaryCall<Response>(response, &serving.limiter);
  for (auto const& check : {&ValidateTarget, &ValidateEnums}) {
    if (absl::Status valid = check(*request); !valid.ok()) {
      call->Complete(std::move(valid));
      return call;
    }
  }
  auto const* entry = table.Find(request->target_case());
  if (entry == nullptr) {
    call->Complete(ProviderNotServed(*request));
    return call;
  }
  if (absl::Status valid = entry->validate(*request); !valid.ok()) {
    call->Complete(std::move(valid));
    return call;
  }
  adapters::CallContext call_context{EffectiveDeadline(*context, serving.default_deadline),
                                     call->cancellation()};
  entry->operation->Start(
      call_context, *request,
      [call](absl::StatusOr<Response> result) { call->Complete(std::move(result)); });
  return call;
}

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_DISPATCH_H_
