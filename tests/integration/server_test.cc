// The gateway binary end to end: reflection as grpcurl uses it, health,
// validation errors with details, UNIMPLEMENTED providers, graceful stop and
// start-up errors.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/reflection.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::grpc::reflection::v1alpha::ServerReflectionRequest;
using ::grpc::reflection::v1alpha::ServerReflectionResponse;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using tests::testing::ChildProcess;
using tests::testing::FindDetail;
using tests::testing::StartGateway;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto process = tests::testing::StartGateway({});
    ASSERT_TRUE(process.ok()) << process.status();
    gateway_ = *std::move(process);
    channel_ = grpc::CreateChannel(gateway_->address(), grpc::InsecureChannelCredentials());
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  ServerReflectionResponse Reflect(ServerReflectionRequest const& request) {
    return tests::testing::Reflect(channel_, request);
  }

  std::unique_ptr<tests::testing::ChildProcess> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServerTest, ReflectionListsEveryService) {
  ServerReflectionRequest request;
  request.set_list_services("*");
  ServerReflectionResponse response = Reflect(request);
  std::vector<std::string> names;
  for (auto const& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, IsSupersetOf({"linkgateway.v1.RegistrationService",
                                   "linkgateway.v1.SubscriptionService",
                                   "linkgateway.v1.AppProfileService", "grpc.health.v1.Health",
                                   "grpc.reflection.v1alpha.ServerReflection"}));
}

TEST_F(ServerTest, ReflectionDescribesAMethodWithoutLocalProtos) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol("linkgateway.v1.AppProfileService.DeleteAppProfile");
  ServerReflectionResponse response = Reflect(request);
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(
      file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "linkgateway/v1/app_profiles.proto");
  bool found = false;
  for (auto const& service : file.service()) {
    for (auto const& method : service.method()) {
      if (method.name() != "DeleteAppProfile") continue;
      found = true;
      EXPECT_EQ(method.input_type(), ".linkgateway.v1.DeleteAppProfileRequest");
      EXPECT_EQ(method.output_type(), ".linkgateway.v1.DeleteAppProfileResponse");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ServerTest, ReflectionV1AnswersTooWithCommentsAndTheHealthService) {
  // Newer tools ask v1 first.
  grpc::reflection::v1::ServerReflectionRequest list;
  list.set_list_services("*");
  auto listed = tests::testing::ReflectV1(channel_, list);
  // The API's four services (unlink jobs included), Operations, health and
  // both reflection versions.
  EXPECT_EQ(listed.list_services_response().service_size(), 8);

  // The health service's descriptor resolves (gRPC's own reflection cannot).
  grpc::reflection::v1::ServerReflectionRequest health;
  health.set_file_containing_symbol("grpc.health.v1.Health");
  auto health_file = tests::testing::ReflectV1(channel_, health);
  ASSERT_GT(health_file.file_descriptor_response().file_descriptor_proto_size(), 0)
      << health_file.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(health_file.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "grpc/health/v1/health.proto");

  // A described message carries the API's comments (source info).
  ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("linkgateway.v1.SmsVoiceRegistrationKey");
  ServerReflectionResponse described = Reflect(symbol);
  ASSERT_TRUE(
      file.ParseFromString(described.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "linkgateway/v1/registrations.proto");
  std::string comments;
  for (auto const& location : file.source_code_info().location()) {
    comments += location.leading_comments();
  }
  EXPECT_THAT(comments, HasSubstr("Names an SMS and Voice v2 registration."));
  EXPECT_THAT(comments, HasSubstr("[A-Za-z0-9_:/-]+"));

  // The error details resolve too, so grpcurl can print them.
  symbol.set_file_containing_symbol("google.rpc.ErrorInfo");
  ServerReflectionResponse details = Reflect(symbol);
  ASSERT_GT(details.file_descriptor_response().file_descriptor_proto_size(), 0);
  ASSERT_TRUE(file.ParseFromString(details.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "google/rpc/error_details.proto");

  // An unknown symbol is an error response, not a broken stream.
  symbol.set_file_containing_symbol("no.such.Thing");
  EXPECT_EQ(Reflect(symbol).error_response().error_code(), 5);  // NOT_FOUND
}

TEST_F(ServerTest, HealthSaysServing) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  for (std::string service : {"", "linkgateway.v1.RegistrationService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    auto context = Context();
    grpc::Status status = stub->Check(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << service << ": " << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  // Per provider: without configuration (this gateway has none) a provider
  // that needs the gateway's own credentials is NOT_SERVING; Dash
  // Replenishment needs none.
  for (auto [service, expected] :
       {std::pair{"linkgateway.provider.imiconnect",
                  grpc::health::v1::HealthCheckResponse::NOT_SERVING},
        std::pair{"linkgateway.provider.selling_partner",
                  grpc::health::v1::HealthCheckResponse::NOT_SERVING},
        std::pair{"linkgateway.provider.dash_replenishment",
                  grpc::health::v1::HealthCheckResponse::SERVING}}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    auto context = Context();
    ASSERT_TRUE(stub->Check(context.get(), request, &response).ok()) << service;
    EXPECT_EQ(response.status(), expected) << service;
  }
}

TEST_F(ServerTest, MalformedIdIsInvalidArgumentNamingTheField) {
  auto stub = v1::RegistrationService::NewStub(channel_);
  v1::DeleteRegistrationRequest request;
  request.mutable_sms_voice()->set_registration_id("not valid!");
  v1::DeleteRegistrationResponse response;
  auto context = Context();
  grpc::Status status = stub->DeleteRegistration(context.get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sms_voice.registration_id"));
  EXPECT_THAT(status.error_message(), HasSubstr("[A-Za-z0-9_:/-]+"));

  EXPECT_EQ(tests::testing::DetailsOf(status).code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(FindDetail(status, bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "sms_voice.registration_id");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.domain(), "linkgateway");
}

TEST_F(ServerTest, MissingTargetIsInvalidArgument) {
  auto stub = v1::SubscriptionService::NewStub(channel_);
  v1::DeleteSubscriptionResponse response;
  auto context = Context();
  grpc::Status status =
      stub->DeleteSubscription(context.get(), v1::DeleteSubscriptionRequest(), &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("target"));
  EXPECT_THAT(status.error_message(), HasSubstr("selling_partner"));
}

TEST_F(ServerTest, ProviderWithoutConfigurationIsFailedPreconditionNamingIt) {
  auto stub = v1::AppProfileService::NewStub(channel_);
  v1::DeleteAppProfileRequest request;
  request.mutable_imiconnect()->set_app_id("a_635736738702976937");
  request.mutable_imiconnect()->set_customer_id("9876");
  request.mutable_imiconnect()->set_device_id("4451830998765");
  v1::DeleteAppProfileResponse response;
  auto context = Context();
  grpc::Status status = stub->DeleteAppProfile(context.get(), request, &response);
  // The default configuration names no IMIconnect tenant.
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("imiconnect.base_url"));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), "PROVIDER_NOT_CONFIGURED");
}

TEST_F(ServerTest, SigtermStopsCleanlyAndRefusesNewCalls) {
  EXPECT_EQ(gateway_->Stop(SIGTERM), 0) << gateway_->Output();
  EXPECT_THAT(gateway_->Output(), HasSubstr("stopped"));

  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckResponse response;
  auto context = Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status status =
      stub->Check(context.get(), grpc::health::v1::HealthCheckRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ServerTest, UnknownEnumNumbersAreRefusedNamingTheField) {
  // An irreversible call must never fall back to the default region or
  // version: numbers outside the enums are INVALID_ARGUMENT.
  auto stub = v1::SubscriptionService::NewStub(channel_);
  v1::DeleteSubscriptionRequest request;
  request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
  request.mutable_selling_partner()->set_subscription_id("sub-1");
  request.mutable_selling_partner()->set_region(static_cast<v1::SellingPartnerRegion>(99));
  v1::DeleteSubscriptionResponse response;
  auto context = Context();
  grpc::Status status = stub->DeleteSubscription(context.get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations(0).field(), "selling_partner.region");
  EXPECT_THAT(bad_request.field_violations(0).description(), HasSubstr("unknown value 99"));

  auto registrations = v1::RegistrationService::NewStub(channel_);
  v1::DeleteRegistrationRequest deregister;
  deregister.mutable_dash_replenishment()->set_access_token("Atza|token");
  deregister.mutable_dash_replenishment()->set_api_version(
      static_cast<v1::DashReplenishmentApiVersion>(99));
  v1::DeleteRegistrationResponse deregistered;
  auto context2 = Context();
  status = registrations->DeleteRegistration(context2.get(), deregister, &deregistered);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations(0).field(), "dash_replenishment.api_version");
}

TEST_F(ServerTest, UnicodeControlAndSeparatorCharactersAreRefused) {
  auto stub = v1::AppProfileService::NewStub(channel_);
  for (std::string bad : {"c\xC2\x85" "1", "c\xE2\x80\xA8" "1", "c\xE2\x80\xA9" "1"}) {
    v1::DeleteAppProfileRequest request;
    request.mutable_imiconnect()->set_app_id("a_1");
    request.mutable_imiconnect()->set_customer_id(bad);
    request.mutable_imiconnect()->set_device_id("d-1");
    v1::DeleteAppProfileResponse response;
    auto context = Context();
    grpc::Status status = stub->DeleteAppProfile(context.get(), request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_THAT(status.error_message(),
                HasSubstr("imiconnect.customer_id: must not contain control characters"));
  }
}

TEST(ServerStartupTest, BlankSecretIsAStartupErrorNamingItsKey) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/blank.textproto";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("imiconnect { base_url: \"https://imi.example\" "
        "profile_key { env: \"LINKGATEWAY_TEST_BLANK_KEY\" } }\n", f);
  fclose(f);
  setenv("LINKGATEWAY_TEST_BLANK_KEY", "    ", 1);
  auto process = tests::testing::StartGateway({"--config=" + path});
  ASSERT_FALSE(process.ok());
  EXPECT_THAT(process.status().message(), HasSubstr("exit code 2"));
  EXPECT_THAT(process.status().message(), HasSubstr("imiconnect.profile_key: the secret is blank"));
}

TEST(ServerStartupTest, UnusableListenAddressIsAClearError) {
  auto result = tests::testing::RunToCompletion(
      {tests::testing::RunfilePath("server/gateway"), "--listen=127.0.0.1:99999"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2) << result->output;
  EXPECT_THAT(result->output, HasSubstr("listen_address: must be host:port with a port"));
}

TEST(ServerStartupTest, UnknownConfigKeyIsAStartupErrorNamingIt) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/bad.textproto";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("default_deadline { seconds: 5 }\nupstream { ca_bundel_file: \"x\" }\n", f);
  fclose(f);
  auto process = tests::testing::StartGateway({"--config=" + path});
  ASSERT_FALSE(process.ok());
  EXPECT_THAT(process.status().message(), HasSubstr("exit code 2"));
  EXPECT_THAT(process.status().message(), HasSubstr("bad.textproto:2:"));
  EXPECT_THAT(process.status().message(), HasSubstr("\"ca_bundel_file\""));
}

}  // namespace
}  // namespace linkgateway::tests::integration
