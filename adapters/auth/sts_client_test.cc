// AWS STS on the fake transport: the query requests, the XML answers, and
// every STS error mapped in one place.
#include "adapters/auth/sts_client.h"

#include <optional>
#include <string>
#include <vector>

#include "adapters/errors/status_details.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::Contains;
using testing::FakeHttpTransport;
using ::testing::HasSubstr;
using testing::ManualScheduler;
using ::testing::Not;
using ::testing::Pair;
using testing::Response;
using ::testing::StartsWith;

constexpr char kAssumed[] =
    R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/gateway</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:gateway</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
      <Expiration>2023-11-14T23:13:20Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";

constexpr char kWebIdentity[] =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:gateway</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzEWEB</SessionToken>
      <SecretAccessKey>web-secret</SecretAccessKey>
      <Expiration>2023-11-14T23:13:20.500Z</Expiration>
      <AccessKeyId>ASIAWEBIDENTITY1</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";

std::string Error(std::string const& code, std::string const& message = "why") {
  return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
         "<Type>Sender</Type><Code>" +
         code + "</Code><Message>" + message +
         "</Message></Error><RequestId>4f3c-error</RequestId></ErrorResponse>";
}

class StsClientTest : public ::testing::Test {
 protected:
  StsClient Client() {
    return StsClient({"https://sts.us-west-2.amazonaws.com", "us-west-2"}, transport_, clock_);
  }

  AssumeRoleParams Params() {
    AssumeRoleParams params;
    params.role_arn = "arn:aws:iam::123456789012:role/demo";
    params.role_session_name = "gateway";
    return params;
  }

  absl::StatusOr<AwsCredentials> AssumeRole(AssumeRoleParams const& params,
                                            AwsCredentials const& source) {
    std::optional<absl::StatusOr<AwsCredentials>> result;
    StsClient client = Client();
    client.AssumeRole(params, source, clock_.Now() + absl::Seconds(30),
                      [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
    return result.value_or(absl::UnknownError("no answer"));
  }

  absl::StatusOr<AwsCredentials> Answered(int status, std::string body) {
    transport_.SetResponder(
        [=](adapters::transport::HttpRequest const&) { return Response(status, body); });
    return AssumeRole(Params(), source_);
  }

  adapters::testing::FakeHttpTransport transport_;
  adapters::testing::ManualScheduler clock_;
  AwsCredentials source_{"AKIDSOURCE", "source-secret", "source-token", absl::InfiniteFuture()};
};

TEST_F(StsClientTest, AssumeRoleIsASignedQueryRequest) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kAssumed); });
  AssumeRoleParams params = Params();
  params.external_id = "ext:id/1";
  params.duration_seconds = 900;
  auto credentials = AssumeRole(params, source_);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(credentials->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(credentials->session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764");
  EXPECT_EQ(credentials->expiration, absl::FromUnixSeconds(1700003600));

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  adapters::transport::HttpRequest const& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://sts.us-west-2.amazonaws.com/");
  EXPECT_EQ(r.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012"
            "%3Arole%2Fdemo&RoleSessionName=gateway&DurationSeconds=900&ExternalId=ext%3Aid%2F1");
  EXPECT_THAT(r.headers,
              Contains(Pair("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")));
  EXPECT_THAT(r.headers, Contains(Pair("X-Amz-Security-Token", "source-token")));
  EXPECT_THAT(
      r.headers,
      Contains(Pair("Authorization", ::testing::AllOf(StartsWith("AWS4-HMAC-SHA256 Credential="
                                                                 "AKIDSOURCE/"),
                                                      HasSubstr("/us-west-2/sts/aws4_request")))));
  EXPECT_EQ(r.deadline, clock_.Now() + absl::Seconds(10));  // the request timeout
}

TEST_F(StsClientTest, AssumeRoleWithWebIdentityIsNotSigned) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kWebIdentity); });
  std::optional<absl::StatusOr<AwsCredentials>> result;
  StsClient client = Client();
  client.AssumeRoleWithWebIdentity(Params(), "eyJhbGciOi.token", clock_.Now() + absl::Seconds(3),
                                   [&](absl::StatusOr<AwsCredentials> r) { result = r; });
  ASSERT_TRUE(result && result->ok()) << result->status();
  EXPECT_EQ((*result)->access_key_id, "ASIAWEBIDENTITY1");
  EXPECT_EQ(absl::ToUnixMillis((*result)->expiration), 1700003600500);
  adapters::transport::HttpRequest const r = transport_.requests().at(0);
  EXPECT_EQ(r.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
            "123456789012%3Arole%2Fdemo&RoleSessionName=gateway&WebIdentityToken=eyJhbGciOi.token");
  for (auto const& [name, value] : r.headers) {
    EXPECT_NE(name, "Authorization");
    EXPECT_NE(name, "X-Amz-Security-Token");
  }
  EXPECT_EQ(r.deadline, clock_.Now() + absl::Seconds(3));  // the caller's, sooner
}

struct ErrorCase {
  std::string name;
  int http_status;
  std::string body;
  absl::StatusCode code;
  std::string reason;
  adapters::errors::RetryClass retry;
};

class StsErrorTest : public StsClientTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(StsErrorTest, MapsTheError) {
  auto const& c = GetParam();
  auto result = Answered(c.http_status, c.body);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), c.code) << result.status();
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), "sts.amazonaws.com");
  EXPECT_EQ(adapters::errors::RetryClassOf(result.status()), c.retry);
  // A credentials failure never reached the operation's upstream.
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(result.status()));
  std::string wire = adapters::errors::ToRpcStatus(result.status()).SerializeAsString();
  EXPECT_THAT(wire, Not(HasSubstr("source-secret")));
  EXPECT_THAT(wire, Not(HasSubstr("source-token")));
}

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;

INSTANTIATE_TEST_SUITE_P(
    Documented, StsErrorTest,
    ::testing::Values(
        ErrorCase{"AccessDenied", 403, Error("AccessDenied"), Code::kPermissionDenied,
                  "UPSTREAM_PERMISSION_DENIED", R::kNone},
        ErrorCase{"InvalidClientTokenId", 403, Error("InvalidClientTokenId"),
                  Code::kUnauthenticated, "UPSTREAM_CREDENTIALS_REJECTED", R::kNone},
        ErrorCase{"SignatureDoesNotMatch", 403, Error("SignatureDoesNotMatch"),
                  Code::kUnauthenticated, "UPSTREAM_CREDENTIALS_REJECTED", R::kNone},
        ErrorCase{"ExpiredToken", 400, Error("ExpiredTokenException"), Code::kUnauthenticated,
                  "UPSTREAM_CREDENTIALS_EXPIRED", R::kNone},
        ErrorCase{"InvalidIdentityToken", 400, Error("InvalidIdentityToken"),
                  Code::kUnauthenticated, "UPSTREAM_CREDENTIALS_REJECTED", R::kNone},
        ErrorCase{"IDPRejectedClaim", 403, Error("IDPRejectedClaim"), Code::kPermissionDenied,
                  "UPSTREAM_PERMISSION_DENIED", R::kNone},
        ErrorCase{"IDPCommunicationError", 400, Error("IDPCommunicationError"), Code::kUnavailable,
                  "UPSTREAM_UNAVAILABLE", R::kTransient},
        ErrorCase{"RegionDisabled", 403, Error("RegionDisabledException"),
                  Code::kFailedPrecondition, "UPSTREAM_PRECONDITION_FAILED", R::kNone},
        ErrorCase{"ValidationError", 400,
                  Error("ValidationError",
                        "The requested DurationSeconds exceeds the "
                        "MaxSessionDuration set for this role."),
                  Code::kFailedPrecondition, "UPSTREAM_REJECTED_GATEWAY_REQUEST", R::kNone},
        ErrorCase{"MalformedPolicyDocument", 400, Error("MalformedPolicyDocument"),
                  Code::kFailedPrecondition, "UPSTREAM_REJECTED_GATEWAY_REQUEST", R::kNone},
        ErrorCase{"Throttling", 400, Error("Throttling", "Rate exceeded"), Code::kResourceExhausted,
                  "UPSTREAM_THROTTLED", R::kThrottle},
        ErrorCase{"InternalFailure", 500, Error("InternalFailure"), Code::kUnavailable,
                  "UPSTREAM_UNAVAILABLE", R::kTransient},
        // No XML: the HTTP status decides.
        ErrorCase{"Bare503", 503, "", Code::kUnavailable, "UPSTREAM_UNAVAILABLE", R::kTransient},
        ErrorCase{"Malformed200", 200, "<AssumeRoleResponse/>", Code::kInternal,
                  "UPSTREAM_MALFORMED_RESPONSE", R::kNone},
        ErrorCase{"Json200", 200, R"({"Credentials": {}})", Code::kInternal,
                  "UPSTREAM_MALFORMED_RESPONSE", R::kNone}),
    [](auto const& info) { return info.param.name; });

TEST_F(StsClientTest, ErrorCarriesStsMessageAndRequestId) {
  auto result = Answered(403, Error("AccessDenied",
                                    "User: arn:aws:iam::1:user/x is not "
                                    "authorized to perform: sts:AssumeRole"));
  EXPECT_THAT(result.status().message(), HasSubstr("not authorized to perform: sts:AssumeRole"));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
  EXPECT_EQ(info.metadata().at("upstreamCode"), "AccessDenied");
  EXPECT_EQ(info.metadata().at("upstreamRequestId"), "4f3c-error");
}

TEST_F(StsClientTest, TransportFailureIsAttributedToSts) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&)
                              -> absl::StatusOr<adapters::transport::HttpResponse> {
    return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kConnect,
                                                 "sts.us-west-2.amazonaws.com",
                                                 "connection refused");
  });
  auto result = AssumeRole(Params(), source_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
  EXPECT_EQ(info.domain(), "sts.amazonaws.com");
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(result.status()));
}

TEST(StsEndpointTest, Regional) {
  EXPECT_EQ(StsEndpointFor("eu-west-2"), "https://sts.eu-west-2.amazonaws.com");
}

}  // namespace
}  // namespace linkgateway::adapters::auth
