// SMS and Voice v2 DeleteRegistration end to end: generated stub → gateway
// binary → SigV4-signed AWS JSON 1.0 → the HTTPS emulator, which verifies the
// signature with botocore.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;
using tests::testing::FindDetail;

class SmsVoiceTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    stub_ = v1::RegistrationService::NewStub(channel);
  }

  void Seed(std::string const& json) {
    ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations", json).ok());
  }

  grpc::Status Delete(std::string const& id, v1::DeleteRegistrationResponse* response) {
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id(id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->DeleteRegistration(&context, request, response);
  }

  int Calls() { return static_cast<int>(env_->Received(Emulator::kSmsVoice, "/").size()); }

  std::unique_ptr<v1::RegistrationService::Stub> stub_;
};

TEST_F(SmsVoiceTest, DeleteReturnsEveryFieldThenTheRegistrationIsGone) {
  Seed(R"({"RegistrationId":"registration-0123abcd","RegistrationStatus":"COMPLETE",)"
       R"("CurrentVersionNumber":4,"ApprovedVersionNumber":3,"LatestDeniedVersionNumber":2,)"
       R"("AdditionalAttributes":{"brandId":"b-7"},"CreatedTimestamp":1700000000.5})");
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration-0123abcd", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto const& r = response.sms_voice();
  EXPECT_EQ(r.registration_arn(),
            "arn:aws:sms-voice:us-east-1:111122223333:registration/registration-0123abcd");
  EXPECT_EQ(r.registration_id(), "registration-0123abcd");
  EXPECT_EQ(r.registration_type(), "US_TEN_DLC_BRAND_REGISTRATION");
  EXPECT_EQ(r.registration_status(), v1::SMS_VOICE_REGISTRATION_STATUS_DELETED);
  EXPECT_EQ(r.current_version_number(), 4);
  EXPECT_EQ(r.approved_version_number(), 3);
  EXPECT_EQ(r.latest_denied_version_number(), 2);
  EXPECT_EQ(r.additional_attributes().at("brandId"), "b-7");
  EXPECT_EQ(r.create_time().seconds(), 1700000000);
  EXPECT_EQ(r.create_time().nanos(), 500000000);
  EXPECT_FALSE(r.upstream_request_id().empty());

  auto received = env_->Received(Emulator::kSmsVoice, "/");
  ASSERT_EQ(received.size(), 1u);
  auto const& headers = received[0].fields().at("headers").struct_value().fields();
  EXPECT_EQ(headers.at("x-amz-target").string_value(), "PinpointSMSVoiceV2.DeleteRegistration");
  EXPECT_EQ(headers.at("content-type").string_value(), "application/x-amz-json-1.0");
  EXPECT_THAT(headers.at("authorization").string_value(),
              HasSubstr("/us-east-1/sms-voice/aws4_request"));
  EXPECT_EQ(received[0].fields().at("body").string_value(),
            R"({"RegistrationId":"registration-0123abcd"})");

  status = Delete("registration-0123abcd", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_EQ(info.domain(), "sms-voice.amazonaws.com");
  EXPECT_EQ(info.metadata().at("upstreamCode"), "ResourceNotFoundException");
  EXPECT_EQ(info.metadata().at("resourceType"), "registration");
  EXPECT_EQ(info.metadata().at("resourceId"), "registration-0123abcd");
  EXPECT_FALSE(info.metadata().at("upstreamRequestId").empty());
  google::rpc::ResourceInfo resource;
  ASSERT_TRUE(FindDetail(status, resource));
  EXPECT_EQ(resource.resource_name(), "registration-0123abcd");
}

TEST_F(SmsVoiceTest, DeleteByArn) {
  Seed(R"({"RegistrationId":"registration-9"})");
  v1::DeleteRegistrationResponse response;
  grpc::Status status =
      Delete("arn:aws:sms-voice:us-east-1:111122223333:registration/registration-9", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.sms_voice().registration_id(), "registration-9");
}

struct ErrorCase {
  std::string name;
  std::string id;
  grpc::StatusCode code;
  std::string upstream_code;
  std::string reason_member;  // the exception's Reason, if any
  int calls;
};

class SmsVoiceErrorTest : public SmsVoiceTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(SmsVoiceErrorTest, MapsTheDocumentedError) {
  auto const& c = GetParam();
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete(c.id, &response);
  EXPECT_EQ(status.error_code(), c.code) << status.error_message();
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_EQ(info.metadata().at("upstreamCode"), c.upstream_code);
  if (!c.reason_member.empty()) {
    EXPECT_EQ(info.metadata().at("upstreamReason"), c.reason_member);
  }
  EXPECT_EQ(Calls(), c.calls);
}

INSTANTIATE_TEST_SUITE_P(
    Documented, SmsVoiceErrorTest,
    ::testing::Values(
        ErrorCase{"Conflict", "reg-conflict", grpc::StatusCode::FAILED_PRECONDITION,
                  "ConflictException", "DELETION_PROTECTION_ENABLED", 1},
        ErrorCase{"AccessDenied", "reg-denied", grpc::StatusCode::PERMISSION_DENIED,
                  "AccessDeniedException", "ACCOUNT_DISABLED", 1},
        ErrorCase{"Throttling", "reg-throttle", grpc::StatusCode::RESOURCE_EXHAUSTED,
                  "ThrottlingException", "", 3},
        ErrorCase{"InternalServer", "reg-500", grpc::StatusCode::UNAVAILABLE,
                  "InternalServerException", "", 3},
        ErrorCase{"ResourceNotFound", "registration-unknown", grpc::StatusCode::NOT_FOUND,
                  "ResourceNotFoundException", "", 1}),
    [](auto const& info) { return info.param.name; });

TEST_F(SmsVoiceTest, ThrottleThatOutlivesRetriesCarriesRetryInfo) {
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("reg-throttle", &response);
  google::rpc::RetryInfo retry;
  EXPECT_TRUE(FindDetail(status, retry));
}

TEST_F(SmsVoiceTest, InternalServerExceptionPassesItsRequestIdOn) {
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("reg-500", &response);
  EXPECT_FALSE(tests::testing::ErrorInfoOf(status).metadata().at("upstreamFaultRequestId").empty());
}

struct Spelling {
  std::string type_style;
  std::string message_key;
};

class ErrorSpellingTest : public SmsVoiceTest, public ::testing::WithParamInterface<Spelling> {};

TEST_P(ErrorSpellingTest, EverySpellingOfTheErrorNameIsUnderstood) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "error-style",
                            absl::StrCat(R"({"typeStyle":")", GetParam().type_style,
                                         R"(","messageKey":")", GetParam().message_key, R"("})"))
                  .ok());
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("reg-conflict", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "ConflictException");
  EXPECT_THAT(status.error_message(), HasSubstr("Deletion protection is enabled"));
}

INSTANTIATE_TEST_SUITE_P(Styles, ErrorSpellingTest,
                         ::testing::Values(Spelling{"namespaced", "Message"},
                                           Spelling{"bare", "message"},
                                           Spelling{"suffixed", "Message"},
                                           Spelling{"header-only", "message"}),
                         [](auto const& info) {
                           return absl::StrCat(info.param.type_style == "header-only"
                                                   ? "HeaderOnly"
                                                   : info.param.type_style,
                                               "_", info.param.message_key);
                         });

TEST_F(SmsVoiceTest, ValidationExceptionBecomesBadRequest) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "scenarios", R"({"path":"^/$","status":400,)"
      R"("headers":{"X-Amzn-ErrorType":"ValidationException"},)"
      R"("body":{"__type":"com.amazonaws.pinpointsmsvoicev2#ValidationException",)"
      R"("Message":"1 validation error detected","Reason":"FIELD_VALIDATION_FAILED",)"
      R"("Fields":[{"Name":"RegistrationId","Message":"Member must satisfy pattern"}]}})").ok());
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamReason"),
            "FIELD_VALIDATION_FAILED");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations(0).field(), "RegistrationId");
}

TEST_F(SmsVoiceTest, LostAnswerOfASuccessfulDeleteReportsAlreadyDeleted) {
  Seed(R"({"RegistrationId":"registration-1"})");
  ASSERT_TRUE(
      env_->Control(Emulator::kSmsVoice, "scenarios", R"({"path":"^/$","dropResponse":true})").ok());
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.already_deleted());
}

TEST_F(SmsVoiceTest, MalformedIdNeverReachesAws) {
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration 1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Calls(), 0);
}

TEST_F(SmsVoiceTest, WrongSecretIsRejectedBySignatureAndNeverLeaks) {
  tests::testing::EmulatedGatewayOptions options;
  options.aws_secret = "not-the-right-aws-secret";
  StartWith(options);
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto info = tests::testing::ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "UPSTREAM_CREDENTIALS_REJECTED");
  EXPECT_EQ(info.metadata().at("upstreamCode"), "InvalidSignatureException");
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-the-right-aws-secret")));
  EXPECT_THAT(status.error_details(), Not(HasSubstr("not-the-right-aws-secret")));
  EXPECT_THAT(env_->gateway().Output(), Not(HasSubstr("not-the-right-aws-secret")));
}

TEST_F(SmsVoiceTest, MissingSessionTokenIsRejected) {
  tests::testing::EmulatedGatewayOptions options;
  options.aws_session_token = "";
  StartWith(options);
  v1::DeleteRegistrationResponse response;
  grpc::Status status = Delete("registration-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"),
            "UnrecognizedClientException");
}

TEST_F(SmsVoiceTest, FractionalTimestampKeepsItsDecimalDigits) {
  Seed(R"({"RegistrationId":"registration-ms","CreatedTimestamp":1700000000.123})");
  v1::DeleteRegistrationResponse response;
  ASSERT_TRUE(Delete("registration-ms", &response).ok());
  EXPECT_EQ(response.sms_voice().create_time().seconds(), 1700000000);
  EXPECT_EQ(response.sms_voice().create_time().nanos(), 123000000);  // not 122999907
}

TEST_F(SmsVoiceTest, AConnectionThatKeepsDroppingCostsAtMostMaxAttemptsSends) {
  Seed(R"({"RegistrationId":"registration-1"})");
  Seed(R"({"RegistrationId":"registration-2"})");
  // A first call leaves a connection to reuse: libcurl silently resends a
  // request whose reused connection dies, up to five times. One RPC must
  // never cost more than max_attempts (3) sends.
  v1::DeleteRegistrationResponse response;
  ASSERT_TRUE(Delete("registration-1", &response).ok());
  ASSERT_TRUE(
      env_->Control(Emulator::kSmsVoice, "scenarios", R"({"path":"^/$","drop":true,"times":50})")
          .ok());
  grpc::Status status = Delete("registration-2", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_CONNECTION_LOST");
  EXPECT_EQ(Calls(), 1 + 3);
}

}  // namespace
}  // namespace linkgateway::tests::integration
