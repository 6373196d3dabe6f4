#include "server/call/incoming.h"

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "adapters/errors/upstream_text.h"
#include "server/call/admission.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::call {

std::shared_ptr<Call> CallOf(grpc::CallbackServerContext const& context, Serving const& serving,
                             std::string const& method, std::string const& connection) {
  auto call = std::make_shared<Call>();
  call->facts.method = method;
  call->facts.start = absl::Now();
  call->deadline = EffectiveDeadline(context, serving.default_deadline);
  auto caller = serving.authenticator.Authenticate(context);
  if (caller.ok()) {
    call->facts.caller = *std::move(caller);
  } else {
    call->authenticated = caller.status();
  }
  call->facts.caller.peer = connection;
  auto const& metadata = context.client_metadata();
  if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
    // The caller's text goes into logs: valid UTF-8, no control characters, bounded.
    call->facts.request_id =
        adapters::errors::SafeText(absl::string_view(it->second.data(), it->second.size()),
                                   adapters::errors::kMaxUpstreamIdBytes);
  }
  if (auto it = metadata.find("traceparent"); it != metadata.end()) {
    call->facts.trace_id = audit::TraceIdOf(std::string(it->second.data(), it->second.size()));
  }
  return call;
}

void Report(Serving const& serving, Call const& call, google::protobuf::Message const& request,
            absl::Status const& answer, google::protobuf::Message const* response,
            linkgateway::audit::v1::AuditRecord const* record) {
  absl::string_view path = call.facts.method;
  auto slash = path.rfind('/');
  serving.metrics
      .Rpc(path.substr(1, slash - 1), path.substr(slash + 1), request::ProviderOf(request),
           call.served_account)
      .Finished(answer.code(), absl::Now() - call.facts.start);
  if (serving.access_log == nullptr) return;
  if (record != nullptr && record->has_time()) return serving.access_log->Write(*record);
  serving.access_log->Write(
      audit::MakeAuditRecord(call.facts, request, answer, response, call.trace.get(), absl::Now()));
}

}  // namespace linkgateway::server::call
