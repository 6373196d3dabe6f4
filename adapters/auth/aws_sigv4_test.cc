// SignSigV4 against fixed vectors: the first is the AWS SigV4 test suite's
// "get-vanilla"; the others were computed with botocore's SigV4Auth (Debian
// python3-botocore) for the same credentials and time. The end-to-end check
// against botocore over HTTPS is tests/integration/aws_sigv4_test.cc.
#include "adapters/auth/aws_sigv4.h"

#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::Pair;
using ::testing::Contains;

absl::Time SignedAt() {
  return absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());
}

struct Vector {
  std::string name;
  std::string method;
  std::string url;
  adapters::transport::HttpHeaders headers;
  std::string body;
  std::string session_token;
  std::string service;
  std::string authorization;

  friend void PrintTo(Vector const& v, std::ostream* out) { *out << v.name; }
};

class SigV4VectorTest : public ::testing::TestWithParam<Vector> {};

TEST_P(SigV4VectorTest, MatchesTheReferenceSignature) {
  Vector const& v = GetParam();
  adapters::transport::HttpRequest request;
  request.method = v.method;
  request.url = v.url;
  request.headers = v.headers;
  request.body = v.body;
  AwsCredentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             v.session_token};
  ASSERT_TRUE(SignSigV4(request, {"us-east-1", v.service}, credentials, SignedAt()).ok());
  EXPECT_THAT(request.headers, Contains(Pair("Authorization", v.authorization)));
  EXPECT_THAT(request.headers, Contains(Pair("X-Amz-Date", "20150830T123600Z")));
  if (!v.session_token.empty()) {
    EXPECT_THAT(request.headers, Contains(Pair("X-Amz-Security-Token", v.session_token)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, SigV4VectorTest,
    ::testing::Values(
        Vector{"GetVanilla", "GET", "https://example.amazonaws.com/", {}, "", "", "service",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;x-amz-date, "
               "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        Vector{"JsonPostWithSessionToken", "POST", "https://sms-voice.us-east-1.amazonaws.com/",
               {{"Content-Type", "application/x-amz-json-1.0"},
                {"X-Amz-Target", "PinpointSMSVoiceV2.DeleteRegistration"}},
               R"({"RegistrationId":"registration-0123abcd"})", "SESSIONTOKEN==", "sms-voice",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sms-voice/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
               "Signature=7c544db4df01bdaa519b6be51ce15c71f940427bf43509274a353ae676591aee"},
        Vector{"EscapedPathPortAndQuery", "DELETE", "https://host.example:8443/a%20b/c~d?z=1&a=2",
               {}, "", "", "service",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;x-amz-date, "
               "Signature=2c7348baca055aeae663daa0c1e333ed2081fe6cb46e6232aceca0e446578d1a"}),
    [](auto const& info) { return info.param.name; });

TEST(SigV4Test, UnparsableUrlIsAnError) {
  adapters::transport::HttpRequest request;
  request.url = "";
  EXPECT_FALSE(SignSigV4(request, {"us-east-1", "s"}, {"a", "b", ""}, SignedAt()).ok());
}

}  // namespace
}  // namespace linkgateway::adapters::auth
