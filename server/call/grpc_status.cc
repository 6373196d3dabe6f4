#include "server/call/grpc_status.h"

#include <string>

#include "adapters/errors/status_details.h"
#include "adapters/errors/upstream_text.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::server::call {
namespace {

// Callers reject trailers above their metadata limit (8 KiB by default in
// gRPC) and then see RESOURCE_EXHAUSTED instead of the real status. The
// details travel base64-encoded beside the message; keep them well below.
constexpr std::size_t kMaxDetailsBytes = 3072;

// Shortens ErrorInfo metadata values until the details fit; the code,
// message, reason and every other detail stay as they are.
std::string BoundedDetails(google::rpc::Status rpc) {
  std::string serialized = adapters::errors::SerializeDeterministically(rpc);
  for (std::size_t limit : {64u, 16u, 0u}) {
    if (serialized.size() <= kMaxDetailsBytes) break;
    for (auto& any : *rpc.mutable_details()) {
      google::rpc::ErrorInfo info;
      if (!any.Is<google::rpc::ErrorInfo>() || !any.UnpackTo(&info)) continue;
      for (auto& [key, value] : *info.mutable_metadata()) value = adapters::errors::SafeText(value, limit);
      any.set_value(adapters::errors::SerializeDeterministically(info));
    }
    serialized = adapters::errors::SerializeDeterministically(rpc);
  }
  return serialized;
}

}  // namespace

grpc::Status ToGrpcStatus(absl::Status const& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering (google/rpc/code.proto).
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      BoundedDetails(adapters::errors::ToRpcStatus(status)));
}

}  // namespace linkgateway::server::call
