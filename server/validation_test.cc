#include "server/validation.h"

#include <string>

#include "adapters/core/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename Request>
Request Parse(std::string const& text) {
  Request request;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request)) << text;
  return request;
}

// A request (in text format), and the field the error must name ("" = valid).
struct Case {
  std::string name;
  std::string request;
  std::string bad_field;
};

template <typename Request>
void ExpectCase(Case const& c) {
  absl::Status status = ValidateRequest(Parse<Request>(c.request));
  if (c.bad_field.empty()) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(c.bad_field + ":"));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(core::FindDetail(status, bad_request));
  ASSERT_GE(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), c.bad_field);
}

std::string CaseName(testing::TestParamInfo<Case> const& info) { return info.param.name; }

class DeleteRegistrationTest : public testing::TestWithParam<Case> {};
TEST_P(DeleteRegistrationTest, Validates) {
  ExpectCase<v1::DeleteRegistrationRequest>(GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteRegistrationTest,
    testing::Values(
        Case{"NoTarget", "", "target"},
        Case{"SmsVoiceId", R"(sms_voice { registration_id: "registration-0123abcd" })", ""},
        Case{"SmsVoiceArn",
             R"(sms_voice { registration_id: "arn:aws:sms-voice:us-east-1:111122223333:registration/r-1" })",
             ""},
        Case{"SmsVoiceEmpty", "sms_voice {}", "sms_voice.registration_id"},
        Case{"SmsVoiceBadCharacter", R"(sms_voice { registration_id: "reg id" })",
             "sms_voice.registration_id"},
        Case{"SmsVoiceTooLong",
             "sms_voice { registration_id: \"" + std::string(257, 'a') + "\" }",
             "sms_voice.registration_id"},
        Case{"SmsVoiceLongest",
             "sms_voice { registration_id: \"" + std::string(256, 'a') + "\" }", ""},
        Case{"DashV2", R"(dash_replenishment { access_token: "Atza|abc" })", ""},
        Case{"DashNoToken", "dash_replenishment {}", "dash_replenishment.access_token"},
        Case{"DashTokenWithNewline",
             R"(dash_replenishment { access_token: "Atza|abc\r\nX-Evil: 1" })",
             "dash_replenishment.access_token"},
        Case{"DashV2WithDeviceIds",
             R"(dash_replenishment { access_token: "t" device_model_id: "m" })",
             "dash_replenishment.device_model_id"},
        Case{"DashV1",
             R"(dash_replenishment { access_token: "t" api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                 device_model_id: "model/1" device_identifier: "serial 42" })",
             ""},
        Case{"DashV1MissingDevice",
             R"(dash_replenishment { access_token: "t" api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                 device_model_id: "m" })",
             "dash_replenishment.device_identifier"},
        Case{"DashV1DotDot",
             R"(dash_replenishment { access_token: "t" api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                 device_model_id: ".." device_identifier: "d" })",
             "dash_replenishment.device_model_id"}),
    CaseName);

class DeleteSubscriptionTest : public testing::TestWithParam<Case> {};
TEST_P(DeleteSubscriptionTest, Validates) {
  ExpectCase<v1::DeleteSubscriptionRequest>(GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteSubscriptionTest,
    testing::Values(
        Case{"NoTarget", "", "target"},
        Case{"Valid",
             R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" subscription_id: "sub/1 ?#" })",
             ""},
        Case{"NoType", R"(selling_partner { subscription_id: "s" })",
             "selling_partner.notification_type"},
        Case{"TypeWithSlash",
             R"(selling_partner { notification_type: "A/B" subscription_id: "s" })",
             "selling_partner.notification_type"},
        Case{"NoId", R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" })",
             "selling_partner.subscription_id"},
        Case{"IdDot",
             R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" subscription_id: "." })",
             "selling_partner.subscription_id"},
        Case{"IdControl",
             R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" subscription_id: "a\tb" })",
             "selling_partner.subscription_id"}),
    CaseName);

class AppProfileTest : public testing::TestWithParam<Case> {};
TEST_P(AppProfileTest, Validates) { ExpectCase<v1::DeleteAppProfileRequest>(GetParam()); }
INSTANTIATE_TEST_SUITE_P(
    Cases, AppProfileTest,
    testing::Values(
        Case{"NoTarget", "validate_only: true", "target"},
        Case{"Valid",
             R"(imiconnect { app_id: "a_635736738702976937" customer_id: "9876" device_id: "4451830998765" })",
             ""},
        Case{"Unicode",
             R"(imiconnect { app_id: "a" customer_id: "kunde-ü" device_id: "gerät" })", ""},
        Case{"NoCustomer", R"(imiconnect { app_id: "a" device_id: "d" })",
             "imiconnect.customer_id"},
        Case{"DeviceDotDot", R"(imiconnect { app_id: "a" customer_id: "c" device_id: ".." })",
             "imiconnect.device_id"}),
    CaseName);

TEST(ValidationTest, SubscriptionInfoNeedsToken) {
  ExpectCase<v1::GetSubscriptionInfoRequest>({"", "dash_replenishment {}",
                                              "dash_replenishment.access_token"});
  ExpectCase<v1::GetSubscriptionInfoRequest>({"", "", "target"});
  ExpectCase<v1::GetSubscriptionInfoRequest>(
      {"", R"(dash_replenishment { access_token: "Atza|x" })", ""});
}

TEST(ValidationTest, TransactionId) {
  ExpectCase<v1::GetProfileTransactionRequest>(
      {"", R"(imiconnect { transaction_id: "3457ee77-53c8-52ac-8a51-ee6e062cae8a" })", ""});
  ExpectCase<v1::GetProfileTransactionRequest>(
      {"", R"(imiconnect { transaction_id: "../x" })", "imiconnect.transaction_id"});
  ExpectCase<v1::GetProfileTransactionRequest>({"", "", "target"});
}

TEST(ValidationTest, MissingTargetListsTheProviders) {
  absl::Status status = ValidateRequest(v1::DeleteRegistrationRequest());
  EXPECT_THAT(status.message(), HasSubstr("dash_replenishment, sms_voice"));
}

TEST(ValidationTest, TokenValueNeverAppearsInTheError) {
  auto request = Parse<v1::DeleteRegistrationRequest>(
      R"(dash_replenishment { access_token: "Atza|secret value" })");
  absl::Status status = ValidateRequest(request);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));
  EXPECT_THAT(core::ToRpcStatus(status).SerializeAsString(), Not(HasSubstr("secret")));
}

TEST(ValidationTest, EveryViolationIsReported) {
  auto request = Parse<v1::DeleteAppProfileRequest>("imiconnect {}");
  absl::Status status = ValidateRequest(request);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(core::FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations_size(), 3);
}

}  // namespace
}  // namespace linkgateway::server
