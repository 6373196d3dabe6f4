// Waiting for a long-running operation (an unlink job) to finish, in tests.
#ifndef LINKGATEWAY_TESTS_TESTING_WAIT_OPERATION_H_
#define LINKGATEWAY_TESTS_TESTING_WAIT_OPERATION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"

namespace linkgateway::tests::testing {

// Calls WaitOperation (5 s at a time, each call with a context from
// `context`) until the operation is done or `limit` passed; returns the
// operation as last seen. A failed call fails the test.
inline google::longrunning::Operation WaitDone(
    google::longrunning::Operations::Stub& operations, std::string const& name,
    std::function<std::unique_ptr<grpc::ClientContext>()> const& context,
    absl::Duration limit = absl::Seconds(60)) {
  absl::Time const give_up = absl::Now() + limit;
  google::longrunning::Operation op;
  while (absl::Now() < give_up) {
    google::longrunning::WaitOperationRequest request;
    request.set_name(name);
    request.mutable_timeout()->set_seconds(5);
    grpc::Status status = operations.WaitOperation(context().get(), request, &op);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok() || op.done()) break;
  }
  return op;
}

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_WAIT_OPERATION_H_
