// Reading the google.rpc.Status details a gRPC error carries, in tests.
#ifndef LINKGATEWAY_TESTS_TESTING_RPC_STATUS_H_
#define LINKGATEWAY_TESTS_TESTING_RPC_STATUS_H_

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace linkgateway::tests::testing {

// The grpc-status-details-bin trailer, parsed.
inline google::rpc::Status DetailsOf(grpc::Status const& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  return details;
}

// The first detail of type T; false when there is none.
template <typename T>
bool FindDetail(grpc::Status const& status, T& out) {
  google::rpc::Status details = DetailsOf(status);
  for (auto const& any : details.details()) {
    if (any.UnpackTo(&out)) return true;
  }
  return false;
}

inline google::rpc::ErrorInfo ErrorInfoOf(grpc::Status const& status) {
  google::rpc::ErrorInfo info;
  FindDetail(status, info);
  return info;
}

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_RPC_STATUS_H_
