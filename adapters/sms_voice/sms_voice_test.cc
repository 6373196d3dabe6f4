// Parsing SMS and Voice v2 answers: every spelling of the error name, every
// member of the result, unknown members and status values.
#include "adapters/sms_voice/sms_voice.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::sms_voice {
namespace {

core::HttpResponse Error(std::string body, core::HttpHeaders headers = {}) {
  core::HttpResponse response;
  response.status = 400;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

TEST(AwsErrorNameTest, EverySpelling) {
  EXPECT_EQ(AwsErrorName(Error(
                R"({"__type":"com.amazonaws.pinpointsmsvoicev2#ResourceNotFoundException"})")),
            "ResourceNotFoundException");
  EXPECT_EQ(AwsErrorName(Error(R"({"__type":"ConflictException"})")), "ConflictException");
  EXPECT_EQ(AwsErrorName(Error(
                R"({"__type":"ThrottlingException:http://internal.amazon.com/coral/x/"})")),
            "ThrottlingException");
  EXPECT_EQ(AwsErrorName(Error(R"({"code":"ValidationException"})")), "ValidationException");
  EXPECT_EQ(AwsErrorName(Error("{}", {{"x-amzn-errortype",
                                      "AccessDeniedException:http://internal.amazon.com/"}})),
            "AccessDeniedException");
  EXPECT_EQ(AwsErrorName(Error("not json")), "");
}

TEST(ParseRegistrationTest, EveryMember) {
  auto registration = ParseRegistration(R"({
    "RegistrationArn": "arn:aws:sms-voice:us-east-1:111122223333:registration/registration-1",
    "RegistrationId": "registration-1",
    "RegistrationType": "US_TEN_DLC_BRAND_REGISTRATION",
    "RegistrationStatus": "DELETED",
    "CurrentVersionNumber": 3,
    "ApprovedVersionNumber": 2,
    "LatestDeniedVersionNumber": 1,
    "AdditionalAttributes": {"brandId": "b-1"},
    "CreatedTimestamp": 1700000000.25,
    "SomeFutureMember": {"nested": true}
  })");
  ASSERT_TRUE(registration.ok()) << registration.status();
  EXPECT_EQ(registration->registration_status(), v1::SMS_VOICE_REGISTRATION_STATUS_DELETED);
  EXPECT_EQ(registration->registration_status_name(), "DELETED");
  EXPECT_EQ(registration->current_version_number(), 3);
  EXPECT_EQ(registration->approved_version_number(), 2);
  EXPECT_EQ(registration->latest_denied_version_number(), 1);
  EXPECT_EQ(registration->additional_attributes().at("brandId"), "b-1");
  EXPECT_EQ(registration->create_time().seconds(), 1700000000);
  EXPECT_EQ(registration->create_time().nanos(), 250000000);
}

TEST(ParseRegistrationTest, OptionalMembersStayUnset) {
  auto registration = ParseRegistration(
      R"({"RegistrationArn":"a","RegistrationId":"r","RegistrationType":"T",)"
      R"("RegistrationStatus":"AWS_REVIEWING","CurrentVersionNumber":1,"CreatedTimestamp":1})");
  ASSERT_TRUE(registration.ok());
  EXPECT_FALSE(registration->has_approved_version_number());
  EXPECT_FALSE(registration->has_latest_denied_version_number());
  EXPECT_EQ(registration->registration_status(), v1::SMS_VOICE_REGISTRATION_STATUS_AWS_REVIEWING);
}

TEST(ParseRegistrationTest, UnknownStatusIsKeptByName) {
  auto registration = ParseRegistration(
      R"({"RegistrationId":"r","RegistrationStatus":"SOMETHING_NEW","CurrentVersionNumber":1})");
  ASSERT_TRUE(registration.ok());
  EXPECT_EQ(registration->registration_status(), v1::SMS_VOICE_REGISTRATION_STATUS_UNSPECIFIED);
  EXPECT_EQ(registration->registration_status_name(), "SOMETHING_NEW");
}

TEST(ParseRegistrationTest, OutOfRangeNumbersAreLeftUnset) {
  auto registration = ParseRegistration(
      R"({"RegistrationId":"r","RegistrationStatus":"DELETED","CurrentVersionNumber":1e300,)"
      R"("CreatedTimestamp":1700000000.9999999999})");
  ASSERT_TRUE(registration.ok());
  EXPECT_EQ(registration->current_version_number(), 0);
  EXPECT_LT(registration->create_time().nanos(), 1000000000);
}

TEST(ParseRegistrationTest, MalformedIsInternal) {
  EXPECT_EQ(ParseRegistration("<html>").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseRegistration("{}").status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
