// absl::Status (with google.rpc detail payloads) -> grpc::Status.
#ifndef LINKGATEWAY_SERVER_CALL_GRPC_STATUS_H_
#define LINKGATEWAY_SERVER_CALL_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace linkgateway::server::call {

// Same code and message; the details travel as a serialized google.rpc.Status
// in the `grpc-status-details-bin` trailer.
grpc::Status ToGrpcStatus(absl::Status const& status);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_GRPC_STATUS_H_
