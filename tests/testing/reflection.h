// One request/response on the server reflection stream, as grpcurl sends it.
#ifndef LINKGATEWAY_TESTS_TESTING_REFLECTION_H_
#define LINKGATEWAY_TESTS_TESTING_REFLECTION_H_

#include <memory>

#include "absl/time/clock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace linkgateway::testing {

inline grpc::reflection::v1alpha::ServerReflectionResponse Reflect(
    std::shared_ptr<grpc::Channel> const& channel,
    grpc::reflection::v1alpha::ServerReflectionRequest const& request) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stream = stub->ServerReflectionInfo(&context);
  EXPECT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  EXPECT_TRUE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  return response;
}

}  // namespace linkgateway::testing

#endif  // LINKGATEWAY_TESTS_TESTING_REFLECTION_H_
