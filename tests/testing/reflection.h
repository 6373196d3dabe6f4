// One request/response on the server reflection stream, as grpcurl sends it.
#ifndef LINKGATEWAY_TESTS_TESTING_REFLECTION_H_
#define LINKGATEWAY_TESTS_TESTING_REFLECTION_H_

#include <memory>

#include "absl/time/clock.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace linkgateway::tests::testing {

// Either protocol version: `Service` is grpc::reflection::v1alpha or ::v1's.
template <typename Service, typename Response, typename Request>
Response ReflectWith(std::shared_ptr<grpc::Channel> const& channel, Request const& request) {
  auto stub = Service::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stream = stub->ServerReflectionInfo(&context);
  EXPECT_TRUE(stream->Write(request));
  stream->WritesDone();
  Response response;
  EXPECT_TRUE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  return response;
}

inline grpc::reflection::v1alpha::ServerReflectionResponse Reflect(
    std::shared_ptr<grpc::Channel> const& channel,
    grpc::reflection::v1alpha::ServerReflectionRequest const& request) {
  return ReflectWith<grpc::reflection::v1alpha::ServerReflection,
                     grpc::reflection::v1alpha::ServerReflectionResponse>(channel, request);
}

inline grpc::reflection::v1::ServerReflectionResponse ReflectV1(
    std::shared_ptr<grpc::Channel> const& channel,
    grpc::reflection::v1::ServerReflectionRequest const& request) {
  return ReflectWith<grpc::reflection::v1::ServerReflection,
                     grpc::reflection::v1::ServerReflectionResponse>(channel, request);
}

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_REFLECTION_H_
