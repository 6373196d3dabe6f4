// Dash Replenishment and Selling Partner API end to end: generated stubs →
// the real gateway binary → libcurl → the HTTPS Amazon emulator. Every
// documented success and error, with the gRPC code and details it maps to.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::linkgateway::tests::testing::MetricValue;

using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;
using tests::testing::FindDetail;

constexpr char kDrsDeregisterResult[] = "com.amazon.dash.replenishment.DrsDeregisterResult@1.0";

bool HasRetryInfo(grpc::Status const& status) {
  google::rpc::RetryInfo info;
  return tests::testing::FindDetail(status, info);
}

std::string Field(google::protobuf::Struct const& s, std::string const& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

class AmazonTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    registrations_ = v1::RegistrationService::NewStub(channel);
    subscriptions_ = v1::SubscriptionService::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(20)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }

  // A registered device with a customer access token.
  std::string NewDevice(std::string const& model, std::string const& device,
                        std::string const& slots = "{}") {
    auto created = env_->Control(
        "devices", absl::StrCat(R"({"model":")", model, R"(","device":")", device,
                                R"(","slots":)", slots, "}"));
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? Field(*created, "accessToken") : "";
  }

  void NewSubscription(std::string const& type, std::string const& id) {
    ASSERT_TRUE(env_->Control("subscriptions", absl::StrCat(R"({"notificationType":")", type,
                                                            R"(","subscriptionId":")", id, R"("})"))
                    .ok());
  }

  void Scenario(std::string const& json) { ASSERT_TRUE(env_->Control("scenarios", json).ok()); }

  std::vector<google::protobuf::Struct> Received(std::string const& prefix) {
    return env_->Received(Emulator::kAmazon, prefix);
  }

  int StatusCount(std::string const& http_status) {
    return env_->StatusCount(Emulator::kAmazon, std::stoi(http_status));
  }

  grpc::Status Deregister(v1::DashReplenishmentDevice const& device,
                          v1::DeleteRegistrationResponse* response,
                          absl::Duration timeout = absl::Seconds(20)) {
    v1::DeleteRegistrationRequest request;
    *request.mutable_dash_replenishment() = device;
    auto context = Context(timeout);
    return registrations_->DeleteRegistration(context.get(), request, response);
  }

  grpc::Status SubscriptionInfo(std::string const& token,
                                v1::DashReplenishmentSubscriptionInfoVersion version,
                                v1::SubscriptionInfo* response) {
    v1::GetSubscriptionInfoRequest request;
    request.mutable_dash_replenishment()->set_access_token(token);
    request.mutable_dash_replenishment()->set_result_version(version);
    auto context = Context();
    return subscriptions_->GetSubscriptionInfo(context.get(), request, response);
  }

  grpc::Status DeleteSubscription(std::string const& type, std::string const& id,
                                  v1::DeleteSubscriptionResponse* response,
                                  absl::Duration timeout = absl::Seconds(20)) {
    v1::DeleteSubscriptionRequest request;
    request.mutable_selling_partner()->set_notification_type(type);
    request.mutable_selling_partner()->set_subscription_id(id);
    auto context = Context(timeout);
    return subscriptions_->DeleteSubscription(context.get(), request, response);
  }

  std::unique_ptr<v1::RegistrationService::Stub> registrations_;
  std::unique_ptr<v1::SubscriptionService::Stub> subscriptions_;
};

v1::DashReplenishmentDevice V2Device(std::string token) {
  v1::DashReplenishmentDevice device;
  device.set_access_token(std::move(token));
  return device;
}

v1::DashReplenishmentDevice V1Device(std::string token, std::string model, std::string id) {
  v1::DashReplenishmentDevice device = V2Device(std::move(token));
  device.set_api_version(v1::DASH_REPLENISHMENT_API_VERSION_1_0);
  device.set_device_model_id(std::move(model));
  device.set_device_identifier(std::move(id));
  return device;
}

// ------------------------------------------------- Dash Replenishment: deregister

TEST_F(AmazonTest, DeregisterV2ThenTheDeviceIsGone) {
  std::string token = NewDevice("model-a", "serial-1");
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V2Device(token), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.dash_replenishment().result_type_version(), kDrsDeregisterResult);
  EXPECT_FALSE(response.already_deleted());

  auto received = Received("/registration");
  ASSERT_EQ(received.size(), 1u);
  auto const& headers = received[0].fields().at("headers").struct_value();
  EXPECT_EQ(Field(received[0], "method"), "DELETE");
  EXPECT_EQ(Field(headers, "authorization"), "Bearer " + token);
  EXPECT_EQ(Field(headers, "x-amzn-type-version"),
            "com.amazon.dash.replenishment.DrsDeregisterInput@2.0");
  EXPECT_EQ(Field(headers, "x-amzn-accept-type"), kDrsDeregisterResult);

  // The token died with the registration: a second deregistration is a 400.
  status = Deregister(V2Device(token), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("Dash Replenishment answered HTTP 400"));
  EXPECT_THAT(status.error_message(), HasSubstr("Invalid token"));
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("httpStatus"), "400");
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).domain(), "dash-replenishment-service.amazon.com");
}

TEST_F(AmazonTest, DeregisterV1EscapesAwkwardIdsInThePath) {
  std::string model = "model/α 1";
  std::string id = "dev?#%&x";
  std::string token = NewDevice(model, id);
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V1Device(token, model, id), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto received = Received("/deviceModels/");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(Field(received[0], "path"),
            "/deviceModels/model%2F%CE%B1%201/devices/dev%3F%23%25%26x/registration");
  EXPECT_EQ(Field(received[0].fields().at("headers").struct_value(), "x-amzn-type-version"),
            "com.amazon.dash.replenishment.DrsDeregisterInput@1.0");
}

TEST_F(AmazonTest, DeregisterV1WithAnotherDevicesIdsIsRejected) {
  std::string token = NewDevice("model-a", "serial-1");
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V1Device(token, "model-a", "serial-2"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("does not match"));
}

TEST_F(AmazonTest, DeregisterWithUnknownTokenIsInvalidArgument) {
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V2Device("Atza|not-a-real-token"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-a-real-token")));
}

TEST_F(AmazonTest, DeregisterServerErrorIsRetriedThenUnavailable) {
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V2Device("drs-500"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(Received("/registration").size(), 3u);
  // What an operator sees of it.
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  std::string const op = R"(provider="dash_replenishment",operation="DeleteRegistration")";
  EXPECT_EQ(tests::testing::MetricValue(*metrics, "linkgateway_upstream_retries_total{" + op + "}"),
            2);
  EXPECT_EQ(tests::testing::MetricValue(
                *metrics, "linkgateway_upstream_requests_total{" + op + R"(,status="500"})"),
            3);
  EXPECT_EQ(tests::testing::MetricValue(
                *metrics, "linkgateway_upstream_request_duration_seconds_count{" + op + "}"),
            3);
  EXPECT_EQ(tests::testing::MetricValue(
                *metrics, R"(linkgateway_rpcs_total{grpc_service="linkgateway.v1.)"
                          R"(RegistrationService",grpc_method="DeleteRegistration",)"
                          R"(provider="dash_replenishment",grpc_code="UNAVAILABLE"})"),
            1);
}

TEST_F(AmazonTest, DeregisterTransientErrorThenSuccess) {
  std::string token = NewDevice("model-a", "serial-1");
  Scenario(R"({"path":"^/registration$","status":500,"body":{"message":"Internal error"},"times":1})");
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V2Device(token), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.already_deleted());
  EXPECT_EQ(Received("/registration").size(), 2u);
}

// A 400 after an attempt that may have deregistered proves nothing: the
// token may have died with that deregistration or never worked. Never OK.
void ExpectOutcomeUnknown(grpc::Status const& status) {
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN) << status.error_message();
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(info.domain(), "dash-replenishment-service.amazon.com");
  EXPECT_EQ(info.metadata().at("causeCode"), "INVALID_ARGUMENT");
  EXPECT_EQ(info.metadata().at("httpStatus"), "400");
}

TEST_F(AmazonTest, DeregisterWhoseAnswerWasLostIsOutcomeUnknown) {
  std::string token = NewDevice("model-a", "serial-1");
  // The emulator deregisters, then drops the connection instead of answering.
  Scenario(R"({"path":"^/registration$","dropResponse":true,"times":1})");
  v1::DeleteRegistrationResponse response;
  ExpectOutcomeUnknown(Deregister(V2Device(token), &response));
  EXPECT_EQ(Received("/registration").size(), 2u);
}

TEST_F(AmazonTest, InvalidTokenWhoseFirstAttemptWasDroppedIsNeverOk) {
  // The same call without the drop is INVALID_ARGUMENT; with it, the 400 of
  // the retry cannot be told from a token consumed by the first attempt.
  Scenario(R"({"path":"^/registration$","drop":true,"times":1})");
  v1::DeleteRegistrationResponse response;
  ExpectOutcomeUnknown(Deregister(V2Device("Atza|not-a-valid-token"), &response));
  EXPECT_EQ(Received("/registration").size(), 2u);
}

TEST_F(AmazonTest, UpstreamSlowerThanTheDeadlineIsDeadlineExceeded) {
  std::string token = NewDevice("model-a", "serial-1");
  Scenario(R"({"path":"^/registration$","delayMs":3000,"times":1})");
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Deregister(V2Device(token), &response, absl::Milliseconds(800));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

// --------------------------------------------- Dash Replenishment: subscriptions

constexpr char kSlots[] =
    R"({"slot1":{"subscribed":true,"productInfoList":[{"asin":"B000TEST01","quantity":2,"unit":"count"}]},)"
    R"("slot2":{"subscribed":false}})";

TEST_F(AmazonTest, SubscriptionInfoV2HasProducts) {
  std::string token = NewDevice("model-a", "serial-1", kSlots);
  v1::SubscriptionInfo info;
  grpc::Status status =
      SubscriptionInfo(token, v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_UNSPECIFIED, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto const& drs = info.dash_replenishment();
  EXPECT_EQ(drs.result_version(), v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0);
  ASSERT_EQ(drs.slots().size(), 2u);
  auto const& slot1 = drs.slots().at("slot1");
  EXPECT_TRUE(slot1.subscribed());
  ASSERT_EQ(slot1.products_size(), 1);
  EXPECT_EQ(slot1.products(0).asin(), "B000TEST01");
  EXPECT_EQ(slot1.products(0).quantity(), 2);
  EXPECT_EQ(slot1.products(0).unit(), "count");
  EXPECT_FALSE(drs.slots().at("slot2").subscribed());
  auto received = Received("/subscriptionInfo");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(Field(received[0].fields().at("headers").struct_value(), "x-amzn-accept-type"),
            "com.amazon.dash.replenishment.DrsSubscriptionInfoResult@2.0");
}

TEST_F(AmazonTest, SubscriptionInfoV1HasBooleansOnly) {
  std::string token = NewDevice("model-a", "serial-1", kSlots);
  v1::SubscriptionInfo info;
  grpc::Status status =
      SubscriptionInfo(token, v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto const& drs = info.dash_replenishment();
  EXPECT_EQ(drs.result_version(), v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0);
  EXPECT_TRUE(drs.slots().at("slot1").subscribed());
  EXPECT_EQ(drs.slots().at("slot1").products_size(), 0);
  EXPECT_FALSE(drs.slots().at("slot2").subscribed());
}

TEST_F(AmazonTest, SubscriptionInfoErrors) {
  v1::SubscriptionInfo info;
  grpc::Status status = SubscriptionInfo(
      "Atza|unknown", v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  status = SubscriptionInfo("drs-500", v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0,
                            &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);

  std::string token = NewDevice("model-a", "serial-1", kSlots);
  Scenario(R"({"path":"^/subscriptionInfo$","status":200,"malformed":true,"times":1})");
  status = SubscriptionInfo(token, v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_MALFORMED_RESPONSE");
}

// ------------------------------------------------ Selling Partner API: delete

TEST_F(AmazonTest, DeleteSubscriptionThenItIsGone) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.selling_partner().rate_limit(), "1.0");
  EXPECT_FALSE(response.selling_partner().upstream_request_id().empty());

  auto received = Received("/notifications/");
  ASSERT_EQ(received.size(), 1u);
  auto const& headers = received[0].fields().at("headers").struct_value();
  EXPECT_THAT(Field(headers, "x-amz-access-token"), HasSubstr("Atza|grantless-"));
  EXPECT_EQ(Received("/auth/o2/token").size(), 1u);

  status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(info.domain(), "sellingpartnerapi.amazon.com");
  EXPECT_EQ(info.metadata().at("upstreamCode"), "NotFound");
  EXPECT_EQ(info.metadata().at("httpStatus"), "404");
  EXPECT_EQ(info.metadata().at("rateLimit"), "1.0");
  EXPECT_FALSE(info.metadata().at("upstreamRequestId").empty());
  EXPECT_THAT(info.metadata().at("upstreamErrors"), HasSubstr("NotFound"));
  // The cached grantless token served both calls.
  EXPECT_EQ(Received("/auth/o2/token").size(), 1u);
}

TEST_F(AmazonTest, DeleteSubscriptionEscapesTheIdAtTheUpstream) {
  NewSubscription("ANY_OFFER_CHANGED", "id/with ?#%");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "id/with ?#%", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Field(Received("/notifications/")[0], "path"),
            "/notifications/v1/subscriptions/ANY_OFFER_CHANGED/id%2Fwith%20%3F%23%25");
}

struct SellingPartnerCase {
  std::string name;
  std::string subscription_id;  // magic ids of the emulator, or a scenario below
  std::string scenario;
  grpc::StatusCode code;
  std::string upstream_code;
  int attempts;
};

class SellingPartnerErrorTest : public AmazonTest,
                                public ::testing::WithParamInterface<SellingPartnerCase> {};

TEST_P(SellingPartnerErrorTest, MapsTheDocumentedStatus) {
  auto const& c = GetParam();
  if (!c.scenario.empty()) Scenario(c.scenario);
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", c.subscription_id, &response);
  EXPECT_EQ(status.error_code(), c.code) << status.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), c.upstream_code);
  EXPECT_EQ(static_cast<int>(Received("/notifications/").size()), c.attempts);
  if (c.code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    EXPECT_TRUE(HasRetryInfo(status));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Documented, SellingPartnerErrorTest,
    ::testing::Values(
        SellingPartnerCase{"Conflict409", "sub-409", "", grpc::StatusCode::FAILED_PRECONDITION,
                           "Conflict", 1},
        SellingPartnerCase{"QuotaExceeded429", "sub-429", "",
                           grpc::StatusCode::RESOURCE_EXHAUSTED, "QuotaExceeded", 3},
        SellingPartnerCase{"InternalFailure500", "sub-500", "", grpc::StatusCode::UNAVAILABLE,
                           "InternalFailure", 3},
        SellingPartnerCase{"ServiceUnavailable503", "sub-503", "", grpc::StatusCode::UNAVAILABLE,
                           "ServiceUnavailable", 3},
        SellingPartnerCase{
            "RequestTooLarge413", "sub-x",
            R"({"path":"^/notifications/","status":413,"body":{"errors":[{"code":"RequestTooLarge","message":"The request size exceeded the maximum accepted size."}]}})",
            grpc::StatusCode::INVALID_ARGUMENT, "RequestTooLarge", 1},
        SellingPartnerCase{
            "UnsupportedMediaType415", "sub-x",
            R"({"path":"^/notifications/","status":415,"body":{"errors":[{"code":"UnsupportedMediaType","message":"The request payload is in an unsupported format."}]}})",
            grpc::StatusCode::INTERNAL, "UnsupportedMediaType", 1},
        SellingPartnerCase{
            "Unauthorized403", "sub-x",
            R"({"path":"^/notifications/","status":403,"times":-1,"body":{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}})",
            grpc::StatusCode::PERMISSION_DENIED, "Unauthorized", 2}),
    [](auto const& info) { return info.param.name; });

TEST_F(AmazonTest, UnknownNotificationTypeIsInvalidArgument) {
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("NOT_A_TYPE", "sub-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "InvalidInput");
  EXPECT_THAT(status.error_message(), HasSubstr("NOT_A_TYPE is not a valid notification type"));
}

TEST_F(AmazonTest, RetryAfterIsHonoured) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  Scenario(R"({"path":"^/notifications/","status":503,"headers":{"Retry-After":"1"},)"
           R"("body":{"errors":[{"code":"ServiceUnavailable","message":"later"}]},"times":1})");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto received = Received("/notifications/");
  ASSERT_EQ(received.size(), 2u);
  double gap = received[1].fields().at("at").number_value() - received[0].fields().at("at").number_value();
  EXPECT_GE(gap, 0.95);
}

TEST_F(AmazonTest, DroppedConnectionIsRetried) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  Scenario(R"({"path":"^/notifications/","drop":true,"times":1})");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.already_deleted());
}

TEST_F(AmazonTest, DeleteWhoseAnswerWasLostReportsAlreadyDeleted) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  Scenario(R"({"path":"^/notifications/","dropResponse":true,"times":1})");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.already_deleted());
}

TEST_F(AmazonTest, ExpiredTokenIsRefreshedMidRun) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  NewSubscription("ANY_OFFER_CHANGED", "sub-2");
  v1::DeleteSubscriptionResponse response;
  ASSERT_TRUE(DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response).ok());
  ASSERT_TRUE(env_->Control("expire-tokens").ok());
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-2", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Received("/auth/o2/token").size(), 2u);
  EXPECT_EQ(StatusCount("403"), 1);  // the expired token, once
}

// The client secret rotated at Login with Amazon, then in the gateway's
// secret file (replaced by rename, as a secret volume is): the next token
// request sends the new one, without a restart.
TEST_F(AmazonTest, RotatedLwaClientSecretFileIsSentAtTheNextTokenRequest) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-1");
  NewSubscription("ANY_OFFER_CHANGED", "sub-2");
  v1::DeleteSubscriptionResponse response;
  ASSERT_TRUE(DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response).ok());
  ASSERT_TRUE(
      env_->Control("lwa-client", absl::StrCat(R"({"clientId":")", tests::testing::kLwaClientId,
                                               R"(","clientSecret":"rotated-lwa-secret"})"))
          .ok());
  std::string file =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/lwa_secret.", env_->amazon().port());
  std::ofstream(file + ".next") << "rotated-lwa-secret\n";
  ASSERT_EQ(std::rename((file + ".next").c_str(), file.c_str()), 0);
  ASSERT_TRUE(env_->Control("expire-tokens").ok());  // the next call needs a new token
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-2", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto tokens = Received("/auth/o2/token");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_THAT(tokens[0].fields().at("body").string_value(),
              HasSubstr(absl::StrCat("client_secret=", tests::testing::kLwaClientSecret)));
  EXPECT_THAT(tokens[1].fields().at("body").string_value(),
              HasSubstr("client_secret=rotated-lwa-secret"));
  EXPECT_THAT(env_->gateway().Output(), Not(HasSubstr("rotated-lwa-secret")));
}

TEST_F(AmazonTest, WrongLwaSecretIsUnauthenticatedWithoutLeakingIt) {
  tests::testing::EmulatedGatewayOptions options;
  options.lwa_client_secret = "wrong-secret-value";
  StartWith(options);
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_CREDENTIALS_REJECTED");
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).domain(), "api.amazon.com");
  EXPECT_THAT(status.error_message(), HasSubstr("invalid_client"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("wrong-secret-value")));
  EXPECT_THAT(status.error_details(), Not(HasSubstr("wrong-secret-value")));
  EXPECT_THAT(env_->gateway().Output(), Not(HasSubstr("wrong-secret-value")));
  EXPECT_EQ(Received("/notifications/").size(), 0u);

  // Health says so for the provider (looked at every second), not for the
  // providers that do not use these credentials.
  auto health = grpc::health::v1::Health::NewStub(env_->channel());
  auto check = [&health](std::string const& service) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Status status = health->Check(&context, request, &response);
    return status.ok() ? response.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (check("linkgateway.provider.selling_partner") !=
             grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(check("linkgateway.provider.selling_partner"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("linkgateway.provider.dash_replenishment"),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_THAT(env_->gateway().Output(), HasSubstr("provider selling_partner is NOT_SERVING"));
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GE(tests::testing::MetricValue(
                *metrics, R"(linkgateway_token_fetches_total{source="login_with_amazon",)"
                          R"(result="error"})"),
            1);
  EXPECT_THAT(env_->gateway().Output(), Not(HasSubstr("wrong-secret-value")));
}

TEST_F(AmazonTest, BurstOfTwentyStaysWithinTheUsagePlan) {
  // A faster plan than the documented 1/s keeps the test short; the gateway
  // and the emulator enforce the same numbers, as in production.
  tests::testing::EmulatedGatewayOptions options;
  options.amazon_args = {"--sp-rate", "2", "--sp-burst", "5"};
  options.selling_partner_config =
      "delete_subscription_rate_limit { requests_per_second: 2 burst: 5 }\n";
  StartWith(options);
  constexpr int kCalls = 20;
  for (int i = 0; i < kCalls; ++i) NewSubscription("ANY_OFFER_CHANGED", absl::StrCat("sub-", i));
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      v1::DeleteSubscriptionResponse response;
      statuses[i] = DeleteSubscription("ANY_OFFER_CHANGED", absl::StrCat("sub-", i), &response);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCalls; ++i) EXPECT_TRUE(statuses[i].ok()) << statuses[i].error_message();
  EXPECT_EQ(StatusCount("429"), 0);
  EXPECT_EQ(StatusCount("200"), kCalls + 1);  // + the token
}

TEST_F(AmazonTest, BurstBeyondTheDeadlineFailsFastWithoutReachingTheUpstream) {
  for (int i = 0; i < 8; ++i) NewSubscription("ANY_OFFER_CHANGED", absl::StrCat("sub-", i));
  std::vector<grpc::Status> statuses(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::DeleteSubscriptionResponse response;
      statuses[i] = DeleteSubscription("ANY_OFFER_CHANGED", absl::StrCat("sub-", i), &response,
                                       absl::Milliseconds(1500));
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, limited = 0;
  for (auto const& status : statuses) {
    if (status.ok()) ++ok;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++limited;
      EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "CLIENT_RATE_LIMITED");
      EXPECT_TRUE(HasRetryInfo(status));
    }
  }
  // Burst 5 at once, one more a second later; the rest could not start in time.
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(limited, 2);
  EXPECT_EQ(StatusCount("429"), 0);
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  std::string const op =
      R"({provider="selling_partner",operation="DeleteSubscription",account="default"})";
  EXPECT_EQ(tests::testing::MetricValue(*metrics, "linkgateway_rate_limit_rejections_total" + op),
            2);
  EXPECT_GE(tests::testing::MetricValue(*metrics, "linkgateway_rate_limit_wait_seconds_count" + op),
            1);
}

// ------------------------------------------------------- limits and overload

TEST_F(AmazonTest, HugeUpstreamRequestIdStillDeliversTheRealStatus) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-big-id");
  // 20 KB would exceed the caller's metadata limit if copied into trailers.
  Scenario(absl::StrCat(R"({"path":"^/notifications/","status":404,"times":1,)",
                        R"("headers":{"x-amzn-RequestId":")", std::string(20000, 'r'), R"("},)",
                        R"("body":{"errors":[{"code":"NotFound","message":"gone"}]}})"));
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-big-id", &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_LE(info.metadata().at("upstreamRequestId").size(), 128u);
  EXPECT_LT(status.error_details().size(), 4096u);
}

TEST_F(AmazonTest, UpstreamRequestIdThatIsNotUtf8IsMadeValid) {
  NewSubscription("ANY_OFFER_CHANGED", "sub-latin1");
  // The emulator writes headers as Latin-1: U+00FF U+00FE arrive as bytes
  // FF FE, which are not UTF-8.
  Scenario(R"({"path":"^/notifications/","status":404,"times":1,)"
           R"("headers":{"x-amzn-RequestId":"req-ÿþ-1"},)"
           R"("body":{"errors":[{"code":"NotFound","message":"gone"}]}})");
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = DeleteSubscription("ANY_OFFER_CHANGED", "sub-latin1", &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  // Strict UTF-8 parsing of the details (what the Python client does) works.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::RequestInfo request_info;
  ASSERT_TRUE(FindDetail(status, request_info));
  EXPECT_EQ(request_info.request_id(), "req-\xEF\xBF\xBD\xEF\xBF\xBD-1");
}

TEST_F(AmazonTest, CallsBeyondTheInFlightCapAreShedAtOnceWhileOthersComplete) {
  tests::testing::EmulatedGatewayOptions options;
  options.extra_config = "limits { max_calls_in_flight: 3 }";
  StartWith(options);
  std::string token = NewDevice("model-a", "serial-1");
  Scenario(R"({"path":"^/subscriptionInfo$","delayMs":1500,"times":3})");
  std::vector<std::thread> held;
  std::vector<grpc::Status> results(3);
  for (int i = 0; i < 3; ++i) {
    held.emplace_back([&, i] {
      v1::SubscriptionInfo info;
      results[i] = SubscriptionInfo(token, v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0,
                                    &info);
    });
  }
  // Wait (bounded) until the three calls reached the emulator.
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Received("/subscriptionInfo").size() < 3 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(Received("/subscriptionInfo").size(), 3u);
  absl::Time start = absl::Now();
  v1::SubscriptionInfo info;
  grpc::Status shed =
      SubscriptionInfo(token, v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0, &info);
  absl::Duration shed_after = absl::Now() - start;
  for (auto& t : held) t.join();
  ASSERT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << shed.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(shed).reason(), "OVERLOADED");
  google::rpc::RetryInfo retry;
  EXPECT_TRUE(FindDetail(shed, retry));
  EXPECT_LT(shed_after, absl::Milliseconds(1000)) << "shed only after the held calls finished";
  for (auto const& r : results) EXPECT_TRUE(r.ok()) << r.error_message();
  EXPECT_EQ(Received("/subscriptionInfo").size(), 3u);  // the shed call never went upstream
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(tests::testing::MetricValue(*metrics,
                                        R"(linkgateway_rejected_calls_total{reason="OVERLOADED"})"),
            1);
  EXPECT_EQ(tests::testing::MetricValue(*metrics, "linkgateway_calls_in_flight"), 0);
}

}  // namespace
}  // namespace linkgateway::tests::integration
