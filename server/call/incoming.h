// What a caller's RPC brings to the pipeline and takes from it, for both
// reactors (unary_call.h, stream_call.h): the Call built from the gRPC
// context, and the call's metrics and access-log line once it is answered.
#ifndef LINKGATEWAY_SERVER_CALL_INCOMING_H_
#define LINKGATEWAY_SERVER_CALL_INCOMING_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "server/call/call.h"
#include "server/call/serving.h"

namespace linkgateway::server::call {

// The call `context` carries for `method` (its path), from `connection`:
// the caller (authenticated now), the deadline, x-request-id and the
// traceparent's trace id.
std::shared_ptr<Call> CallOf(grpc::CallbackServerContext const& context, Serving const& serving,
                             std::string const& method, std::string const& connection);

// The call's metrics and access-log line; `record` is the call's audit
// record when it has one (else one is made for the access log).
void Report(Serving const& serving, Call const& call, google::protobuf::Message const& request,
            absl::Status const& answer, google::protobuf::Message const* response,
            linkgateway::audit::v1::AuditRecord const* record);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_INCOMING_H_
