#include "adapters/sms_voice/validation.h"

#include <string>

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using core::testing::ExpectValidation;
using core::testing::ValidationCase;

class DeleteRegistrationValidationTest : public ::testing::TestWithParam<ValidationCase> {};
TEST_P(DeleteRegistrationValidationTest, Validates) {
  ExpectValidation<v1::DeleteRegistrationRequest>(&ValidateDeleteRegistration, GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteRegistrationValidationTest,
    ::testing::Values(
        ValidationCase{"Id", R"(sms_voice { registration_id: "registration-0123abcd" })", ""},
        ValidationCase{
            "Arn",
            R"(sms_voice { registration_id: "arn:aws:sms-voice:us-east-1:111122223333:registration/r-1" })",
            ""},
        ValidationCase{"Empty", "sms_voice {}", "sms_voice.registration_id"},
        ValidationCase{"BadCharacter", R"(sms_voice { registration_id: "reg id" })",
                       "sms_voice.registration_id"},
        ValidationCase{"TooLong", "sms_voice { registration_id: \"" + std::string(257, 'a') + "\" }",
                       "sms_voice.registration_id"},
        ValidationCase{"Longest",
                       "sms_voice { registration_id: \"" + std::string(256, 'a') + "\" }", ""}),
    core::testing::CaseName);

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
