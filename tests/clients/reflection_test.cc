// What grpcurl does, done through the reflection service alone: list the
// services, fetch a method's descriptors, build the request from JSON with a
// dynamic message, call it with a generic stub and print the answer as JSON.
// No local .proto file or generated API code is used.
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/reflection.h"
#include "tests/testing/emulated_gateway_test.h"

namespace linkgateway::tests::clients {
namespace {

using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;
using ::testing::Contains;
using ::testing::HasSubstr;

class ReflectionTest : public tests::testing::EmulatedGatewayTest {
 protected:

  // One request on the reflection stream, as grpcurl sends it.
  ServerReflectionResponse Reflect(ServerReflectionRequest const& request) {
    return tests::testing::Reflect(env_->channel(), request);
  }

  // Loads every file the server sends for `symbol` into `pool_`, dependencies
  // first (the server sends the transitive closure).
  void LoadSymbol(std::string const& symbol) {
    ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    auto response = Reflect(request);
    std::vector<google::protobuf::FileDescriptorProto> files;
    for (auto const& bytes : response.file_descriptor_response().file_descriptor_proto()) {
      files.emplace_back().ParseFromString(bytes);
    }
    // Build in dependency order: retry until every file is in the pool.
    for (std::size_t round = 0; round < files.size(); ++round) {
      for (auto const& file : files) {
        if (pool_.FindFileByName(file.name()) != nullptr) continue;
        bool ready = true;
        for (auto const& dependency : file.dependency()) {
          ready = ready && pool_.FindFileByName(dependency) != nullptr;
        }
        if (ready) {
          ASSERT_NE(pool_.BuildFile(file), nullptr) << file.name();
        }
      }
    }
  }

  // grpcurl's "call with JSON": returns the answer as JSON, or the status.
  grpc::Status CallJson(std::string const& full_method, std::string const& json,
                        std::string* out) {
    auto slash = full_method.rfind('/');
    auto const* method = pool_.FindMethodByName(
        full_method.substr(0, slash) + "." + full_method.substr(slash + 1));
    EXPECT_NE(method, nullptr) << full_method;
    google::protobuf::DynamicMessageFactory factory(&pool_);
    std::unique_ptr<google::protobuf::Message> request(
        factory.GetPrototype(method->input_type())->New());
    std::unique_ptr<google::protobuf::Message> response(
        factory.GetPrototype(method->output_type())->New());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, request.get()).ok());

    grpc::GenericStub stub(env_->channel());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    std::string serialized = request->SerializeAsString();
    grpc::Slice slice(serialized);
    grpc::ByteBuffer request_bytes(&slice, 1);
    grpc::ByteBuffer response_bytes;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, "/" + full_method, grpc::StubOptions(), &request_bytes,
                   &response_bytes, [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)))
        << "timed out waiting for done";
    if (!status.ok()) return status;
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(response_bytes.Dump(&slices).ok());
    std::string bytes;
    for (auto const& s : slices) bytes.append(reinterpret_cast<char const*>(s.begin()), s.size());
    EXPECT_TRUE(response->ParseFromString(bytes));
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(*response, out).ok());
    return status;
  }

  google::protobuf::DescriptorPool pool_;
};

TEST_F(ReflectionTest, ListDescribeAndCallLikeGrpcurl) {
  ServerReflectionRequest list;
  list.set_list_services("*");
  std::vector<std::string> services;
  ServerReflectionResponse listed = Reflect(list);
  for (auto const& s : listed.list_services_response().service()) {
    services.push_back(s.name());
  }
  EXPECT_THAT(services, Contains("linkgateway.v1.SubscriptionService"));

  LoadSymbol("linkgateway.v1.SubscriptionService");
  auto const* method =
      pool_.FindMethodByName("linkgateway.v1.SubscriptionService.DeleteSubscription");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->input_type()->full_name(), "linkgateway.v1.DeleteSubscriptionRequest");
  EXPECT_NE(method->input_type()->FindFieldByName("selling_partner"), nullptr);

  ASSERT_TRUE(env_->Control("subscriptions",
                            R"({"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"s-1"})")
                  .ok());
  std::string answer;
  grpc::Status status = CallJson(
      "linkgateway.v1.SubscriptionService/DeleteSubscription",
      R"({"sellingPartner":{"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"s-1"}})",
      &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(answer, HasSubstr(R"("rateLimit":"1.0")"));

  status = CallJson(
      "linkgateway.v1.SubscriptionService/DeleteSubscription",
      R"({"sellingPartner":{"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"s-1"}})",
      &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReflectionTest, MessagesWithWellKnownTypesResolve) {
  // registrations.proto imports google/protobuf/timestamp.proto.
  LoadSymbol("linkgateway.v1.RegistrationService");
  auto const* registration = pool_.FindMessageTypeByName("linkgateway.v1.SmsVoiceRegistration");
  ASSERT_NE(registration, nullptr);
  EXPECT_EQ(registration->FindFieldByName("create_time")->message_type()->full_name(),
            "google.protobuf.Timestamp");
}

}  // namespace
}  // namespace linkgateway::tests::clients
