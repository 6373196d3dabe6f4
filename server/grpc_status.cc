#include "server/grpc_status.h"

#include <string>

#include "adapters/errors/status_details.h"

namespace linkgateway::server {

grpc::Status ToGrpcStatus(absl::Status const& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering (google/rpc/code.proto).
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()),
                      core::ToRpcStatus(status).SerializeAsString());
}

}  // namespace linkgateway::server
