#include "adapters/dash_replenishment/validation.h"

#include <string>

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::dash_replenishment {
namespace {

using adapters::testing::ExpectValidation;
using adapters::testing::ParseText;
using adapters::testing::ValidationCase;
using ::testing::HasSubstr;
using ::testing::Not;

class DeregistrationValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(DeregistrationValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::DeleteRegistrationRequest>(&ValidateDeregistration,
                                                                     GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeregistrationValidationTest,
    ::testing::Values(
        adapters::testing::ValidationCase{"V2",
                                          R"(dash_replenishment { access_token: "Atza|abc" })", ""},
        adapters::testing::ValidationCase{"NoToken", "dash_replenishment {}",
                                          "dash_replenishment.access_token"},
        adapters::testing::ValidationCase{
            "TokenWithNewline", R"(dash_replenishment { access_token: "Atza|abc\r\nX-Evil: 1" })",
            "dash_replenishment.access_token"},
        adapters::testing::ValidationCase{
            "TokenTooLong",
            "dash_replenishment { access_token: \"" + std::string(2049, 'a') + "\" }",
            "dash_replenishment.access_token"},
        adapters::testing::ValidationCase{
            "V2WithDeviceIds", R"(dash_replenishment { access_token: "t" device_model_id: "m" })",
            "dash_replenishment.device_model_id"},
        adapters::testing::ValidationCase{"V1",
                                          R"(dash_replenishment { access_token: "t"
                            api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                            device_model_id: "model/1" device_identifier: "serial 42" })",
                                          ""},
        adapters::testing::ValidationCase{"V1MissingDevice",
                                          R"(dash_replenishment { access_token: "t"
                            api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                            device_model_id: "m" })",
                                          "dash_replenishment.device_identifier"},
        adapters::testing::ValidationCase{"V1DotDot",
                                          R"(dash_replenishment { access_token: "t"
                            api_version: DASH_REPLENISHMENT_API_VERSION_1_0
                            device_model_id: ".." device_identifier: "d" })",
                                          "dash_replenishment.device_model_id"}),
    adapters::testing::CaseName);

class SubscriptionInfoValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(SubscriptionInfoValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::GetSubscriptionInfoRequest>(&ValidateSubscriptionInfo,
                                                                      GetParam());
}
INSTANTIATE_TEST_SUITE_P(Cases, SubscriptionInfoValidationTest,
                         ::testing::Values(
                             adapters::testing::ValidationCase{
                                 "Token", R"(dash_replenishment { access_token: "Atza|x" })", ""},
                             adapters::testing::ValidationCase{"NoToken", "dash_replenishment {}",
                                                               "dash_replenishment.access_token"}),
                         adapters::testing::CaseName);

TEST(DashReplenishmentValidationTest, TokenValueNeverAppearsInTheError) {
  auto request = adapters::testing::ParseText<v1::DeleteRegistrationRequest>(
      R"(dash_replenishment { access_token: "Atza|secret value" })");
  absl::Status status = ValidateDeregistration(request);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));
  EXPECT_THAT(adapters::errors::ToRpcStatus(status).SerializeAsString(), Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace linkgateway::adapters::dash_replenishment
