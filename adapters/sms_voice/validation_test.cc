#include "adapters/sms_voice/validation.h"

#include <string>

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using adapters::testing::ExpectValidation;
using adapters::testing::ValidationCase;

class DeleteRegistrationValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(DeleteRegistrationValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::DeleteRegistrationRequest>(&ValidateDeleteRegistration,
                                                                     GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteRegistrationValidationTest,
    ::testing::Values(
        adapters::testing::ValidationCase{
            "Id", R"(sms_voice { registration_id: "registration-0123abcd" })", ""},
        adapters::testing::ValidationCase{
            "Arn",
            R"(sms_voice { registration_id: "arn:aws:sms-voice:us-east-1:111122223333:registration/r-1" })",
            ""},
        adapters::testing::ValidationCase{"Empty", "sms_voice {}", "sms_voice.registration_id"},
        adapters::testing::ValidationCase{"BadCharacter",
                                          R"(sms_voice { registration_id: "reg id" })",
                                          "sms_voice.registration_id"},
        adapters::testing::ValidationCase{
            "TooLong", "sms_voice { registration_id: \"" + std::string(257, 'a') + "\" }",
            "sms_voice.registration_id"},
        adapters::testing::ValidationCase{
            "Longest", "sms_voice { registration_id: \"" + std::string(256, 'a') + "\" }", ""}),
    adapters::testing::CaseName);

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
