// Parsing SMS and Voice v2 answers: every spelling of the error name, every
// member of the result, unknown members and status values. DeleteRegistration
// against the fake transport: the signed request it sends, and what each
// answer (or transport failure) becomes.
#include "adapters/sms_voice/sms_voice.h"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/auth/aws_sigv4.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/validation.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using adapters::testing::FakeHttpTransport;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

adapters::transport::HttpResponse Error(std::string body,
                                        adapters::transport::HttpHeaders headers = {}) {
  adapters::transport::HttpResponse response;
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

// ---------------------------------------------------------------------------
// DeleteRegistration against the fake transport.
// ---------------------------------------------------------------------------

constexpr char kEndpoint[] = "https://sms-voice.us-west-2.amazonaws.com";
constexpr char kRegion[] = "us-west-2";
constexpr char kKeyId[] = "AKIDUNITTESTSMSVOICE";
constexpr char kSecretKey[] = "unit/Test+Secret/Key/0123456789abcdefghij";
constexpr char kSessionToken[] = "unit-test-session/token+value==";
constexpr char kRequestId[] = "0f1e2d3c-4b5a-4697-8877-665544332211";
constexpr char kDeleted[] =
    R"({"RegistrationArn":"arn:aws:sms-voice:us-west-2:123456789012:registration/reg-1",)"
    R"("RegistrationId":"reg-1","RegistrationType":"US_TEN_DLC_CAMPAIGN_REGISTRATION",)"
    R"("RegistrationStatus":"DELETED","CurrentVersionNumber":2,"CreatedTimestamp":1690000000})";

// Fixed credentials, as a shared credentials file or the environment gives
// them; remembers what the adapter invalidated.
class FixedCredentials : public adapters::auth::AwsCredentialsProvider {
 public:
  explicit FixedCredentials(adapters::auth::AwsCredentials credentials)
      : credentials_(std::move(credentials)) {}
  void Get(absl::Time, std::shared_ptr<adapters::async::Cancellation>,
           adapters::transport::Done<adapters::auth::AwsCredentials> done) override {
    std::move(done)(credentials_);
  }
  void Invalidate(std::string const& access_key_id) override {
    invalidated.push_back(access_key_id);
  }
  absl::Status Ready() override { return absl::OkStatus(); }

  std::vector<std::string> invalidated;

 private:
  adapters::auth::AwsCredentials credentials_;
};

// No credentials configured: FAILED_PRECONDITION naming what is missing.
class MissingCredentials : public adapters::auth::AwsCredentialsProvider {
 public:
  void Get(absl::Time, std::shared_ptr<adapters::async::Cancellation>,
           adapters::transport::Done<adapters::auth::AwsCredentials> done) override {
    std::move(done)(Ready());
  }
  absl::Status Ready() override {
    return adapters::auth::AwsCredentialsMissing("AWS_ACCESS_KEY_ID is not set");
  }
};

// Every value of header `name` (any case), in order.
std::vector<std::string> HeaderValues(adapters::transport::HttpHeaders const& headers,
                                      absl::string_view name) {
  std::vector<std::string> values;
  for (auto const& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

// The one value of header `name`; a failure when it is absent or repeated.
std::string OnlyHeader(adapters::transport::HttpHeaders const& headers, absl::string_view name) {
  auto values = HeaderValues(headers, name);
  EXPECT_EQ(values.size(), 1u) << name;
  return values.empty() ? "" : values.front();
}

// Neither the secret key nor the session token reaches the caller.
void ExpectNoSecrets(absl::Status const& status) {
  std::string wire = adapters::errors::ToRpcStatus(status).SerializeAsString();
  EXPECT_THAT(wire, Not(HasSubstr(kSecretKey)));
  EXPECT_THAT(wire, Not(HasSubstr(kSessionToken)));
}

class DeleteRegistrationTest : public ::testing::Test {
 protected:
  // One attempt; the fake transport answers inline (or not at all when no
  // responder is set, which the result then says).
  absl::StatusOr<v1::DeleteRegistrationResponse> Run(
      adapters::auth::AwsCredentialsProvider& credentials, std::string endpoint = kEndpoint,
      std::string region = kRegion, std::string registration_id = "reg-1") {
    DeleteRegistration operation(std::move(endpoint), std::move(region), transport_, credentials);
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id(std::move(registration_id));
    std::optional<absl::StatusOr<v1::DeleteRegistrationResponse>> result;
    operation.Start(context_, request,
                    [&result](absl::StatusOr<v1::DeleteRegistrationResponse> r) {
                      result = std::move(r);
                    });
    if (!result) return absl::UnknownError("DeleteRegistration did not finish inline");
    return *std::move(result);
  }

  // One attempt the upstream answers with `response`.
  absl::StatusOr<v1::DeleteRegistrationResponse> Answered(
      adapters::transport::HttpResponse response) {
    transport_.SetResponder(
        [response](adapters::transport::HttpRequest const&) { return response; });
    return Run(credentials_);
  }

  adapters::testing::FakeHttpTransport transport_;
  FixedCredentials credentials_{adapters::auth::AwsCredentials{kKeyId, kSecretKey, kSessionToken}};
  adapters::operation::CallContext context_{absl::FromUnixSeconds(1'800'000'000), nullptr, nullptr};
};

struct SignedRequestCase {
  std::string name;
  std::string endpoint;
  std::string region;
  std::string registration_id;
  std::string session_token;  // "" = long-term keys
  std::string url;            // where it must be posted
  std::string host;           // the Host header it must carry
  std::string signed_headers;

  friend void PrintTo(SignedRequestCase const& c, std::ostream* out) { *out << c.name; }
};

class DeleteRegistrationRequestTest : public DeleteRegistrationTest,
                                      public ::testing::WithParamInterface<SignedRequestCase> {};

TEST_P(DeleteRegistrationRequestTest, PostsSignedAwsJson) {
  auto const& c = GetParam();
  FixedCredentials credentials(adapters::auth::AwsCredentials{kKeyId, kSecretKey, c.session_token});
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, kDeleted);
  });
  absl::Time before = absl::Now();
  auto response = Run(credentials, c.endpoint, c.region, c.registration_id);
  absl::Time after = absl::Now();
  ASSERT_TRUE(response.ok()) << response.status();

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  adapters::transport::HttpRequest const& sent = requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, c.url);
  EXPECT_EQ(sent.deadline, context_.deadline);
  EXPECT_EQ(OnlyHeader(sent.headers, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(OnlyHeader(sent.headers, "X-Amz-Target"), "PinpointSMSVoiceV2.DeleteRegistration");
  EXPECT_EQ(OnlyHeader(sent.headers, "Host"), c.host);

  // The body is {"RegistrationId": <id>} and nothing else.
  google::protobuf::Struct body;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(sent.body, &body).ok()) << sent.body;
  ASSERT_EQ(body.fields_size(), 1) << sent.body;
  ASSERT_TRUE(body.fields().count("RegistrationId")) << sent.body;
  EXPECT_EQ(body.fields().at("RegistrationId").string_value(), c.registration_id);

  // Signed now, for sms-voice in the configured region, with these keys.
  std::string amz_date = OnlyHeader(sent.headers, "X-Amz-Date");
  absl::Time signed_at;
  std::string error;
  ASSERT_TRUE(
      absl::ParseTime("%E4Y%m%dT%H%M%SZ", amz_date, absl::UTCTimeZone(), &signed_at, &error))
      << amz_date << ": " << error;
  EXPECT_GE(signed_at, before - absl::Seconds(1));
  EXPECT_LE(signed_at, after);
  std::string authorization = OnlyHeader(sent.headers, "Authorization");
  EXPECT_THAT(authorization,
              StartsWith(absl::StrCat("AWS4-HMAC-SHA256 Credential=", kKeyId, "/",
                                      amz_date.substr(0, 8), "/", c.region,
                                      "/sms-voice/aws4_request, SignedHeaders=",
                                      c.signed_headers, ", Signature=")));
  if (c.session_token.empty()) {
    EXPECT_TRUE(HeaderValues(sent.headers, "X-Amz-Security-Token").empty());
  } else {
    EXPECT_EQ(OnlyHeader(sent.headers, "X-Amz-Security-Token"), c.session_token);
  }

  // The signature is SigV4's over exactly what was sent: signing the request
  // again, without the headers signing adds, gives the same Authorization.
  adapters::transport::HttpRequest resigned = sent;
  resigned.headers.clear();
  for (auto const& [name, value] : sent.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "host" || lower == "x-amz-date" || lower == "x-amz-security-token" ||
        lower == "authorization") {
      continue;
    }
    resigned.headers.emplace_back(name, value);
  }
  ASSERT_TRUE(adapters::auth::SignSigV4(resigned, {c.region, "sms-voice"},
                                        {kKeyId, kSecretKey, c.session_token}, signed_at)
                  .ok());
  EXPECT_EQ(OnlyHeader(resigned.headers, "Authorization"), authorization);

  // The secret key signs; it is never sent.
  for (auto const& [name, value] : sent.headers) {
    EXPECT_THAT(value, Not(HasSubstr(kSecretKey))) << name;
  }
  EXPECT_THAT(sent.body, Not(HasSubstr(kSecretKey)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteRegistrationRequestTest,
    ::testing::Values(
        SignedRequestCase{"SessionCredentials", kEndpoint, kRegion, "registration-0a1b2c3d",
                          kSessionToken, "https://sms-voice.us-west-2.amazonaws.com/",
                          "sms-voice.us-west-2.amazonaws.com",
                          "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"},
        SignedRequestCase{"LongTermKeys", "https://sms-voice.eu-central-1.amazonaws.com",
                          "eu-central-1", "registration-0a1b2c3d", "",
                          "https://sms-voice.eu-central-1.amazonaws.com/",
                          "sms-voice.eu-central-1.amazonaws.com",
                          "content-type;host;x-amz-date;x-amz-target"},
        SignedRequestCase{"ArnAsId", "https://sms-voice.ap-south-1.amazonaws.com", "ap-south-1",
                          "arn:aws:sms-voice:ap-south-1:123456789012:registration/reg-9_z",
                          kSessionToken, "https://sms-voice.ap-south-1.amazonaws.com/",
                          "sms-voice.ap-south-1.amazonaws.com",
                          "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"},
        SignedRequestCase{"EndpointWithPort", "https://127.0.0.1:8443", "us-east-1",
                          "reg_1:a/b-c", kSessionToken, "https://127.0.0.1:8443/",
                          "127.0.0.1:8443",
                          "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"},
        // An override ending in "/" still posts to "/", not "//".
        SignedRequestCase{"EndpointWithTrailingSlash",
                          "https://sms-voice.us-west-2.amazonaws.com/", kRegion, "reg-1",
                          kSessionToken, "https://sms-voice.us-west-2.amazonaws.com/",
                          "sms-voice.us-west-2.amazonaws.com",
                          "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"}),
    [](auto const& info) { return info.param.name; });

TEST_F(DeleteRegistrationTest, MissingCredentialsFailBeforeAnythingIsSent) {
  MissingCredentials missing;
  auto response = Run(missing);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("AWS_ACCESS_KEY_ID"));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(response.status(), info));
  EXPECT_EQ(info.reason(), "GATEWAY_CREDENTIALS_MISSING");
  EXPECT_EQ(info.domain(), "linkgateway");
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(response.status()));
  EXPECT_TRUE(transport_.requests().empty());
  // A dry run says the same without calling anything.
  DeleteRegistration operation(kEndpoint, kRegion, transport_, missing);
  EXPECT_EQ(operation.Preflight().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(DeleteRegistrationTest, RejectedCredentialsAreInvalidatedForTheNextAttempt) {
  auto response = Answered(adapters::testing::Response(
      400, R"({"__type":"com.amazonaws.pinpointsmsvoicev2#ExpiredTokenException",)"
           R"("Message":"The security token included in the request is expired"})"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated) << response.status();
  EXPECT_THAT(credentials_.invalidated, ::testing::ElementsAre(kKeyId));
  // Other errors leave the credentials alone.
  (void)Answered(adapters::testing::Response(
      400, R"({"__type":"ResourceNotFoundException","Message":"gone"})"));
  EXPECT_EQ(credentials_.invalidated.size(), 1u);
}

struct ResultCase {
  std::string name;
  adapters::transport::HttpHeaders headers;
  std::string body;
  std::string want;  // v1.SmsVoiceRegistration in text format

  friend void PrintTo(ResultCase const& c, std::ostream* out) { *out << c.name; }
};

class DeleteRegistrationResultTest : public DeleteRegistrationTest,
                                     public ::testing::WithParamInterface<ResultCase> {};

TEST_P(DeleteRegistrationResultTest, ParsesTheDeletedRegistration) {
  auto const& c = GetParam();
  auto response = Answered(adapters::testing::Response(200, c.body, c.headers));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->already_deleted());
  ASSERT_TRUE(response->has_sms_voice());
  auto want = adapters::testing::ParseText<v1::SmsVoiceRegistration>(c.want);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(response->sms_voice(), want))
      << "got:\n" << response->sms_voice().DebugString() << "want:\n" << want.DebugString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteRegistrationResultTest,
    ::testing::Values(
        ResultCase{"EveryMember",
                   {{"content-type", "application/x-amz-json-1.0"},
                    {"x-amzn-requestid", kRequestId}},
                   R"({"RegistrationArn":"arn:aws:sms-voice:us-west-2:123456789012:)"
                   R"(registration/reg-7","RegistrationId":"reg-7",)"
                   R"("RegistrationType":"US_TEN_DLC_BRAND_REGISTRATION",)"
                   R"("RegistrationStatus":"DELETED","CurrentVersionNumber":4,)"
                   R"("ApprovedVersionNumber":3,"LatestDeniedVersionNumber":2,)"
                   R"("AdditionalAttributes":{"brandScore":"75","vetting":"STANDARD"},)"
                   R"("CreatedTimestamp":1690000000.125})",
                   R"(registration_arn: "arn:aws:sms-voice:us-west-2:123456789012:)"
                   R"(registration/reg-7"
                      registration_id: "reg-7"
                      registration_type: "US_TEN_DLC_BRAND_REGISTRATION"
                      registration_status: SMS_VOICE_REGISTRATION_STATUS_DELETED
                      registration_status_name: "DELETED"
                      current_version_number: 4
                      approved_version_number: 3
                      latest_denied_version_number: 2
                      additional_attributes { key: "brandScore" value: "75" }
                      additional_attributes { key: "vetting" value: "STANDARD" }
                      create_time { seconds: 1690000000 nanos: 125000000 }
                      upstream_request_id: "0f1e2d3c-4b5a-4697-8877-665544332211")"},
        ResultCase{"RequiredMembersOnly",
                   {{"X-Amzn-RequestId", kRequestId}},
                   kDeleted,
                   R"(registration_arn: "arn:aws:sms-voice:us-west-2:123456789012:)"
                   R"(registration/reg-1"
                      registration_id: "reg-1"
                      registration_type: "US_TEN_DLC_CAMPAIGN_REGISTRATION"
                      registration_status: SMS_VOICE_REGISTRATION_STATUS_DELETED
                      registration_status_name: "DELETED"
                      current_version_number: 2
                      create_time { seconds: 1690000000 }
                      upstream_request_id: "0f1e2d3c-4b5a-4697-8877-665544332211")"},
        ResultCase{"NewStatusAndMembersWithoutRequestId",
                   {},
                   R"({"RegistrationArn":"arn:r","RegistrationId":"reg-2","RegistrationType":"T",)"
                   R"("RegistrationStatus":"RETIRED_LATER","CurrentVersionNumber":1,)"
                   R"("CreatedTimestamp":1690000000,"NewMember":[1,2,3]})",
                   R"(registration_arn: "arn:r" registration_id: "reg-2" registration_type: "T"
                      registration_status_name: "RETIRED_LATER"
                      current_version_number: 1 create_time { seconds: 1690000000 })"},
        ResultCase{"OutOfRangeNumbersAreLeftUnset",
                   {{"x-amzn-requestid", "r-3"}},
                   R"({"RegistrationId":"reg-3","RegistrationStatus":"CLOSED",)"
                   R"("CurrentVersionNumber":1e200,"ApprovedVersionNumber":-1e200,)"
                   R"("LatestDeniedVersionNumber":"7","CreatedTimestamp":"yesterday"})",
                   R"(registration_id: "reg-3"
                      registration_status: SMS_VOICE_REGISTRATION_STATUS_CLOSED
                      registration_status_name: "CLOSED" upstream_request_id: "r-3")"}),
    [](auto const& info) { return info.param.name; });

TEST_F(DeleteRegistrationTest, UnusableSuccessIsMalformed) {
  for (std::string body : {"<html>OK</html>", "", R"({"RegistrationArn":"arn:only"})"}) {
    auto response = Answered(adapters::testing::Response(200, body, {{"x-amzn-requestid", "r"}}));
    ASSERT_EQ(response.status().code(), absl::StatusCode::kInternal) << body;
    google::rpc::ErrorInfo info;
    ASSERT_TRUE(adapters::errors::FindDetail(response.status(), info)) << body;
    EXPECT_EQ(info.reason(), "UPSTREAM_MALFORMED_RESPONSE") << body;
    EXPECT_EQ(info.domain(), "sms-voice.amazonaws.com") << body;
  }
}

struct ErrorCase {
  std::string name;
  int http_status;
  adapters::transport::HttpHeaders headers;  // x-amzn-RequestId is always added
  std::string body;
  absl::StatusCode code;
  adapters::errors::RetryClass retry;
  std::string reason;
  std::string upstream_code;  // ErrorInfo metadata upstreamCode; "" = absent
  std::string message;        // part of the status message
  // The vendor members ErrorInfo.metadata must carry (upstreamReason,
  // resourceType, resourceId, upstreamFaultRequestId); the others must be absent.
  std::map<std::string, std::string> vendor_metadata;
  std::vector<std::pair<std::string, std::string>> field_violations;  // BadRequest
  std::string resource_type;  // ResourceInfo; "" = no ResourceInfo
  std::string resource_name;

  friend void PrintTo(ErrorCase const& c, std::ostream* out) { *out << c.name; }
};

class DeleteRegistrationErrorTest : public DeleteRegistrationTest,
                                    public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(DeleteRegistrationErrorTest, MapsTheModeledError) {
  auto const& c = GetParam();
  adapters::transport::HttpHeaders headers = c.headers;
  headers.emplace_back("x-amzn-requestid", kRequestId);
  auto response = Answered(adapters::testing::Response(c.http_status, c.body, headers));
  ASSERT_FALSE(response.ok());
  absl::Status const& status = response.status();
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(adapters::errors::RetryClassOf(status), c.retry);
  EXPECT_THAT(status.message(), HasSubstr(c.message));
  ExpectNoSecrets(status);

  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(status, info));
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), "sms-voice.amazonaws.com");
  auto const& metadata = info.metadata();
  EXPECT_EQ(metadata.at("provider"), "SMS and Voice v2");
  EXPECT_EQ(metadata.at("httpStatus"), absl::StrCat(c.http_status));
  EXPECT_EQ(metadata.at("upstreamRequestId"), kRequestId);
  if (c.upstream_code.empty()) {
    EXPECT_EQ(metadata.count("upstreamCode"), 0u);
  } else {
    ASSERT_EQ(metadata.count("upstreamCode"), 1u);
    EXPECT_EQ(metadata.at("upstreamCode"), c.upstream_code);
  }
  for (std::string key : {"upstreamReason", "resourceType", "resourceId",
                          "upstreamFaultRequestId"}) {
    auto want = c.vendor_metadata.find(key);
    if (want == c.vendor_metadata.end()) {
      EXPECT_EQ(metadata.count(key), 0u) << key;
    } else {
      ASSERT_EQ(metadata.count(key), 1u) << key;
      EXPECT_EQ(metadata.at(key), want->second) << key;
    }
  }

  google::rpc::RequestInfo request_info;
  ASSERT_TRUE(adapters::errors::FindDetail(status, request_info));
  EXPECT_EQ(request_info.request_id(), kRequestId);

  google::rpc::BadRequest bad_request;
  if (c.field_violations.empty()) {
    EXPECT_FALSE(adapters::errors::FindDetail(status, bad_request));
  } else {
    ASSERT_TRUE(adapters::errors::FindDetail(status, bad_request));
    std::vector<std::pair<std::string, std::string>> violations;
    for (auto const& v : bad_request.field_violations()) {
      violations.emplace_back(v.field(), v.description());
    }
    EXPECT_EQ(violations, c.field_violations);
  }

  google::rpc::ResourceInfo resource;
  if (c.resource_type.empty()) {
    EXPECT_FALSE(adapters::errors::FindDetail(status, resource));
  } else {
    ASSERT_TRUE(adapters::errors::FindDetail(status, resource));
    EXPECT_EQ(resource.resource_type(), c.resource_type);
    EXPECT_EQ(resource.resource_name(), c.resource_name);
  }
}

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;

INSTANTIATE_TEST_SUITE_P(
    ModeledErrors, DeleteRegistrationErrorTest,
    ::testing::Values(
        // The error type header, with its ":..." suffix, and the namespaced __type.
        ErrorCase{"ValidationExceptionWithFields", 400,
                  {{"x-amzn-errortype",
                    "ValidationException:http://internal.amazon.com/coral/com.amazon.coral/"}},
                  R"({"__type":"com.amazonaws.pinpointsmsvoicev2#ValidationException",)"
                  R"("Message":"2 validation errors","Reason":"FIELD_VALIDATION_FAILED",)"
                  R"("Fields":[{"Name":"RegistrationId","Message":"bad pattern"},)"
                  R"({"Name":"Other","Message":"too long"}]})",
                  Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT",
                  "ValidationException", "2 validation errors",
                  {{"upstreamReason", "FIELD_VALIDATION_FAILED"}},
                  {{"RegistrationId", "bad pattern"}, {"Other", "too long"}}, "", ""},
        // __type with a namespace, no header.
        ErrorCase{"AccessDeniedExceptionWithReason", 400, {},
                  R"({"__type":"com.amazonaws.pinpointsmsvoicev2#AccessDeniedException",)"
                  R"("Message":"Account is disabled","Reason":"ACCOUNT_DISABLED"})",
                  Code::kPermissionDenied, R::kNone, "UPSTREAM_PERMISSION_DENIED",
                  "AccessDeniedException", "Account is disabled",
                  {{"upstreamReason", "ACCOUNT_DISABLED"}}, {}, "", ""},
        // `code` and a lower-case `message`.
        ErrorCase{"ResourceNotFoundExceptionWithResource", 400, {},
                  R"({"code":"ResourceNotFoundException","message":"No such registration",)"
                  R"("ResourceType":"registration","ResourceId":"reg-404"})",
                  Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND", "ResourceNotFoundException",
                  "No such registration",
                  {{"resourceType", "registration"}, {"resourceId", "reg-404"}}, {},
                  "registration", "reg-404"},
        // A bare __type.
        ErrorCase{"ConflictException", 400, {},
                  R"({"__type":"ConflictException","Message":"Deletion protection is on",)"
                  R"("Reason":"DELETION_PROTECTION_ENABLED","ResourceType":"registration",)"
                  R"("ResourceId":"reg-locked"})",
                  Code::kFailedPrecondition, R::kNone, "UPSTREAM_CONFLICT", "ConflictException",
                  "Deletion protection is on",
                  {{"upstreamReason", "DELETION_PROTECTION_ENABLED"},
                   {"resourceType", "registration"},
                   {"resourceId", "reg-locked"}},
                  {}, "", ""},
        // __type with a ":..." suffix.
        ErrorCase{"ThrottlingException", 400, {},
                  R"({"__type":"ThrottlingException:http://internal.amazon.com/coral/x/",)"
                  R"("message":"Rate exceeded"})",
                  Code::kResourceExhausted, R::kThrottle, "UPSTREAM_THROTTLED",
                  "ThrottlingException", "Rate exceeded", {}, {}, "", ""},
        ErrorCase{"InternalServerExceptionWithRequestId", 500,
                  {{"X-Amzn-ErrorType", "InternalServerException"}},
                  R"({"Message":"Internal failure","RequestId":"fault-77"})",
                  Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE",
                  "InternalServerException", "Internal failure",
                  {{"upstreamFaultRequestId", "fault-77"}}, {}, "", ""},
        ErrorCase{"ServiceQuotaExceededException", 400, {},
                  R"({"__type":"com.amazonaws.pinpointsmsvoicev2#ServiceQuotaExceededException",)"
                  R"("Message":"Too many registrations","Reason":"REGISTRATIONS_PER_ACCOUNT"})",
                  Code::kResourceExhausted, R::kNone, "UPSTREAM_QUOTA_EXCEEDED",
                  "ServiceQuotaExceededException", "Too many registrations",
                  {{"upstreamReason", "REGISTRATIONS_PER_ACCOUNT"}}, {}, "", ""},
        // The header wins over the body.
        ErrorCase{"HeaderWinsOverBody", 400, {{"x-amzn-errortype", "ThrottlingException"}},
                  R"({"__type":"ValidationException","Message":"slow down"})",
                  Code::kResourceExhausted, R::kThrottle, "UPSTREAM_THROTTLED",
                  "ThrottlingException", "slow down", {}, {}, "", ""},
        // An AWS common error with a body that is not JSON: the text is passed on.
        ErrorCase{"CommonErrorWithTextBody", 403,
                  {{"x-amzn-errortype", "UnrecognizedClientException:http://x/"}},
                  "The security token included in the request is invalid.\n",
                  Code::kUnauthenticated, R::kNone, "UPSTREAM_CREDENTIALS_REJECTED",
                  "UnrecognizedClientException", "The security token included in the request",
                  {}, {}, "", ""},
        // No error name at all: the HTTP status decides.
        ErrorCase{"NoErrorNameBadGateway", 502, {}, "<html>Bad Gateway</html>",
                  Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE", "",
                  "<html>Bad Gateway</html>", {}, {}, "", ""},
        // A name this gateway does not know: the HTTP status decides, the name is kept.
        ErrorCase{"UnknownErrorName", 400, {},
                  R"({"__type":"com.amazonaws.pinpointsmsvoicev2#BrandNewException",)"
                  R"("Message":"new"})",
                  Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT",
                  "BrandNewException", "new", {}, {}, "", ""}),
    [](auto const& info) { return info.param.name; });

TEST_F(DeleteRegistrationTest, TransportFailureIsAttributedToTheProvider) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kReceive,
                                                 "127.0.0.1", "reset");
  });
  auto response = Run(credentials_);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("reset"));
  EXPECT_EQ(adapters::errors::RetryClassOf(response.status()),
            adapters::errors::RetryClass::kTransient);
  EXPECT_FALSE(adapters::errors::ProvablyNotSent(response.status()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(response.status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_CONNECTION_LOST");
  EXPECT_EQ(info.domain(), "sms-voice.amazonaws.com");
  EXPECT_EQ(info.metadata().at("upstreamHost"), "127.0.0.1");
  EXPECT_EQ(info.metadata().at("provider"), "SMS and Voice v2");
  ExpectNoSecrets(response.status());
}

TEST_F(DeleteRegistrationTest, NotFoundAnswerMeansAlreadyDone) {
  auto response = Answered(adapters::testing::Response(
      400, R"({"__type":"ResourceNotFoundException","ResourceId":"reg-1"})"));
  ASSERT_EQ(response.status().code(), absl::StatusCode::kNotFound);
  auto done = DeleteRegistration::AlreadyDone(response.status());
  ASSERT_TRUE(done.has_value() && done->ok());
  EXPECT_TRUE((*done)->already_deleted());
  EXPECT_TRUE((*done)->has_sms_voice());
}

struct AlreadyDoneCase {
  std::string name;
  absl::Status status;
  bool already_deleted;

  friend void PrintTo(AlreadyDoneCase const& c, std::ostream* out) { *out << c.name; }
};

class AlreadyDoneTest : public ::testing::TestWithParam<AlreadyDoneCase> {};

TEST_P(AlreadyDoneTest, OnlyNotFoundMeansDeleted) {
  auto const& c = GetParam();
  auto done = DeleteRegistration::AlreadyDone(c.status);
  if (!c.already_deleted) {
    EXPECT_FALSE(done.has_value());
    return;
  }
  ASSERT_TRUE(done.has_value() && done->ok());
  EXPECT_TRUE((*done)->already_deleted());
  EXPECT_EQ((*done)->result_case(), v1::DeleteRegistrationResponse::kSmsVoice);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, AlreadyDoneTest,
    ::testing::Values(
        AlreadyDoneCase{"NotFound", absl::NotFoundError("gone"), true},
        AlreadyDoneCase{"InvalidArgument", absl::InvalidArgumentError("x"), false},
        AlreadyDoneCase{"PermissionDenied", absl::PermissionDeniedError("x"), false},
        AlreadyDoneCase{"FailedPrecondition", absl::FailedPreconditionError("x"), false},
        AlreadyDoneCase{"ResourceExhausted", absl::ResourceExhaustedError("x"), false},
        AlreadyDoneCase{"Unavailable", absl::UnavailableError("x"), false},
        AlreadyDoneCase{"DeadlineExceeded", absl::DeadlineExceededError("x"), false},
        AlreadyDoneCase{"Internal", absl::InternalError("x"), false},
        AlreadyDoneCase{"Unknown", absl::UnknownError("x"), false}),
    [](auto const& info) { return info.param.name; });

struct TimestampCase {
  std::string name;
  double epoch_seconds;
  std::int64_t seconds;
  std::int32_t nanos;
};

class EpochSecondsTest : public ::testing::TestWithParam<TimestampCase> {};

TEST_P(EpochSecondsTest, ConvertsTheDecimalTextExactly) {
  auto t = EpochSecondsToTimestamp(GetParam().epoch_seconds);
  EXPECT_EQ(t.seconds(), GetParam().seconds);
  EXPECT_EQ(t.nanos(), GetParam().nanos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EpochSecondsTest,
    ::testing::Values(TimestampCase{"Milliseconds", 1700000000.123, 1700000000, 123000000},
                      TimestampCase{"Whole", 1700000000, 1700000000, 0},
                      TimestampCase{"Microseconds", 1700000000.000001, 1700000000, 1000},
                      TimestampCase{"Tenth", 0.1, 0, 100000000},
                      TimestampCase{"Negative", -1.25, -2, 750000000}),
    [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
