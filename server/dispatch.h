// The one path every RPC takes: validate, find the provider's operation,
// start it, finish the reactor with its outcome.
#ifndef LINKGATEWAY_SERVER_DISPATCH_H_
#define LINKGATEWAY_SERVER_DISPATCH_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/core/status_details.h"
#include "adapters/operation.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpc_status.h"
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
      "PROVIDER_NOT_IMPLEMENTED", core::kGatewayDomain, {{"provider", provider}});
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* context,
                                   Request const* request, Response* response,
                                   adapters::OperationTable<Request, Response> const& table,
                                   absl::Duration default_deadline) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status valid = ValidateRequest(*request); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  auto* operation = table.Find(request->target_case());
  if (operation == nullptr) {
    reactor->Finish(ToGrpcStatus(ProviderNotServed(*request)));
    return reactor;
  }
  adapters::CallContext call{EffectiveDeadline(*context, default_deadline)};
  // `response` stays valid until Finish(); the reactor outlives this call.
  operation->Start(call, *request,
                   [reactor, response](absl::StatusOr<Response> result) {
                     if (!result.ok()) {
                       reactor->Finish(ToGrpcStatus(result.status()));
                       return;
                     }
                     *response = *std::move(result);
                     reactor->Finish(grpc::Status::OK);
                   });
  return reactor;
}

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_DISPATCH_H_
