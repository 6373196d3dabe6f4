// The container credentials endpoint and IMDSv2 on the fake transport and
// the manual clock.
#include "adapters/auth/credential_endpoints.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

constexpr char kDocument[] =
    R"({"Code":"Success","LastUpdated":"2023-11-14T20:00:00Z","Type":"AWS-HMAC",)"
    R"("AccessKeyId":"ASIAMETADATA1","SecretAccessKey":"metadata-secret","Token":"metadata-token",)"
    R"("Expiration":"2023-11-15T02:13:20Z"})";

std::string ReasonOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return adapters::errors::FindDetail(status, info) ? info.reason() : "";
}

struct UrlCase {
  std::string url;
  bool allowed;
};

TEST(ContainerCredentialsUrlTest, TheSdksRule) {
  for (auto const& c : std::vector<UrlCase>{
           {"http://169.254.170.2/v2/credentials/abc", true},
           {"http://169.254.170.23/v1/credentials", true},
           {"http://[fd00:ec2::23]/v1/credentials", true},
           {"http://127.0.0.1:8080/creds", true},
           {"http://127.1.2.3/creds", true},
           {"http://localhost:9/creds", true},
           {"http://[::1]:9/creds", true},
           {"https://credentials.example.com/x", true},
           {"http://credentials.example.com/x", false},
           {"http://169.254.169.254/latest", false},
           {"http://10.0.0.1/creds", false},
           {"http://127.0.0.1.example.com/creds", false},
           {"ftp://127.0.0.1/creds", false},
           {"not a url", false},
       }) {
    absl::Status status = CheckContainerCredentialsUrl(c.url);
    EXPECT_EQ(status.ok(), c.allowed) << c.url << ": " << status;
    if (!c.allowed) {
      EXPECT_EQ(ReasonOf(status), "GATEWAY_CREDENTIALS_MISSING") << c.url;
    }
  }
}

class EndpointsTest : public ::testing::Test {
 protected:
  absl::StatusOr<AwsCredentials> Container(ContainerCredentialsOptions const& options) {
    std::optional<absl::StatusOr<AwsCredentials>> result;
    FetchContainerCredentials(options, transport_, clock_, clock_.Now() + absl::Seconds(30),
                              [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
    return Finish(result);
  }

  absl::StatusOr<AwsCredentials> Imds(InstanceMetadataOptions const& options) {
    std::optional<absl::StatusOr<AwsCredentials>> result;
    FetchInstanceMetadataCredentials(options, transport_, clock_, clock_.Now() + absl::Seconds(30),
                                     [&](absl::StatusOr<AwsCredentials> r) { result = r; });
    return Finish(result);
  }

  // Runs the clock (retries wait on it) until the fetch ends.
  absl::StatusOr<AwsCredentials> Finish(std::optional<absl::StatusOr<AwsCredentials>>& result) {
    for (int i = 0; i < 100 && !result; ++i) clock_.AdvanceBy(absl::Milliseconds(500));
    return result.value_or(absl::UnknownError("never answered"));
  }

  std::string Header(adapters::transport::HttpRequest const& r, std::string const& name) {
    for (auto const& [key, value] : r.headers) {
      if (absl::EqualsIgnoreCase(key, name)) return value;
    }
    return "(absent)";
  }

  adapters::testing::FakeHttpTransport transport_;
  adapters::testing::ManualScheduler clock_;
};

TEST_F(EndpointsTest, ContainerWithAToken) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kDocument); });
  ContainerCredentialsOptions options;
  options.url = "http://169.254.170.2/v2/credentials/task";
  options.authorization = "Basic token";
  auto credentials = Container(options);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_key_id, "ASIAMETADATA1");
  EXPECT_EQ(credentials->session_token, "metadata-token");
  EXPECT_EQ(credentials->expiration, absl::FromUnixSeconds(1700014400));
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url, "http://169.254.170.2/v2/credentials/task");
  EXPECT_TRUE(requests[0].credential_endpoint);
  EXPECT_EQ(Header(requests[0], "Authorization"), "Basic token");
  EXPECT_EQ(Header(requests[0], "Accept"), "application/json");
  EXPECT_EQ(requests[0].deadline, clock_.Now() + absl::Seconds(2));
}

TEST_F(EndpointsTest, ContainerTokenFileIsReadAtEveryFetchAndWins) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/eks-pod-identity-token";
  std::ofstream(path) << "pod-token-1";
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kDocument); });
  ContainerCredentialsOptions options;
  options.url = "http://169.254.170.23/v1/credentials";
  options.authorization = "ignored";
  options.authorization_file = std::make_shared<WatchedFile>(path);
  ASSERT_TRUE(Container(options).ok());
  std::ofstream(path) << "pod-token-2-rotated";
  ASSERT_TRUE(Container(options).ok());
  auto requests = transport_.requests();
  EXPECT_EQ(Header(requests[0], "Authorization"), "pod-token-1");
  EXPECT_EQ(Header(requests[1], "Authorization"), "pod-token-2-rotated");
  // A token with a line break would forge headers: refused, nothing sent.
  std::ofstream(path) << "pod-token\r\nX-Injected: 1";
  auto refused = Container(options);
  EXPECT_THAT(refused.status().message(), HasSubstr("line break"));
  EXPECT_EQ(transport_.requests().size(), 2u);
  std::remove(path.c_str());
  EXPECT_THAT(Container(options).status().message(), HasSubstr("token file"));
}

TEST_F(EndpointsTest, ContainerRetriesThreeTimesOneSecondApart) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return Response(500, R"({"code":"InternalError","message":"x"})");
  });
  ContainerCredentialsOptions options;
  options.url = "http://127.0.0.1:1/creds";
  absl::Time start = clock_.Now();
  auto result = Container(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("container credentials endpoint"));
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(result.status()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
  EXPECT_EQ(info.domain(), "container-credentials");
  EXPECT_EQ(info.metadata().at("upstreamCode"), "InternalError");
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].deadline - start, absl::Seconds(1) + absl::Seconds(2));
  EXPECT_EQ(requests[2].deadline - start, absl::Seconds(2) + absl::Seconds(2));
}

TEST_F(EndpointsTest, ContainerAnswerMissingAMemberIsMalformed) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return Response(
        200, R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2023-11-15T02:13:20Z"})");
  });
  ContainerCredentialsOptions options;
  options.url = "http://127.0.0.1:1/creds";
  auto result = Container(options);
  EXPECT_EQ(ReasonOf(result.status()), "UPSTREAM_MALFORMED_RESPONSE");
  EXPECT_EQ(transport_.requests().size(), 1u);  // valid JSON: not retried
}

TEST_F(EndpointsTest, ImdsV2SessionTokenThenRoleThenCredentials) {
  transport_.SetResponder([](adapters::transport::HttpRequest const& r) {
    if (r.method == "PUT") return Response(200, "imds-session-token");
    if (absl::EndsWith(r.url, "/security-credentials/")) return Response(200, "gateway-role");
    return Response(200, kDocument);
  });
  InstanceMetadataOptions options;
  options.endpoint = "http://127.0.0.1:1234/";
  auto credentials = Imds(options);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->secret_access_key, "metadata-secret");
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:1234/latest/api/token");
  EXPECT_EQ(Header(requests[0], "x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(Header(requests[0], "x-aws-ec2-metadata-token"), "(absent)");
  EXPECT_EQ(requests[1].url, "http://127.0.0.1:1234/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[2].url,
            "http://127.0.0.1:1234/latest/meta-data/iam/security-credentials/gateway-role");
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(Header(requests[i], "x-aws-ec2-metadata-token"), "imds-session-token");
    EXPECT_EQ(requests[i].method, "GET");
  }
  for (auto const& r : requests) {
    EXPECT_TRUE(r.credential_endpoint);
    EXPECT_EQ(r.deadline, clock_.Now() + absl::Seconds(1));
  }
}

struct ImdsCase {
  std::string name;
  // Answers to PUT token, GET role, GET credentials (a failed transfer when
  // the status is 0).
  std::vector<int> statuses;
  std::string credentials_body;
  absl::StatusCode code;
  std::string message;
  int requests;
};

class ImdsErrorTest : public EndpointsTest, public ::testing::WithParamInterface<ImdsCase> {};

TEST_P(ImdsErrorTest, Fails) {
  auto const& c = GetParam();
  transport_.SetResponder([&c](adapters::transport::HttpRequest const& r)
                              -> absl::StatusOr<adapters::transport::HttpResponse> {
    int step = r.method == "PUT" ? 0 : absl::EndsWith(r.url, "/security-credentials/") ? 1 : 2;
    int status = c.statuses.at(step);
    if (status == 0) {
      return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kDeadline,
                                                   "127.0.0.1", "timed out");
    }
    return Response(status, step == 0 ? "token" : step == 1 ? "role" : c.credentials_body);
  });
  InstanceMetadataOptions options;
  options.endpoint = "http://127.0.0.1:1234";
  options.attempts = 2;
  auto result = Imds(options);
  EXPECT_EQ(result.status().code(), c.code) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr(c.message));
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(result.status()));
  EXPECT_EQ(static_cast<int>(transport_.requests().size()), c.requests);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, ImdsErrorTest,
    ::testing::Values(
        // The hop limit drops the PUT's answer: a timeout, no IMDSv1 fall-back.
        ImdsCase{"TokenNeverAnswered",
                 {0, 200, 200},
                 kDocument,
                 absl::StatusCode::kFailedPrecondition,
                 "hop limit",
                 2},
        ImdsCase{"TokenRefused",
                 {403, 200, 200},
                 kDocument,
                 absl::StatusCode::kFailedPrecondition,
                 "does not fall back to IMDSv1",
                 1},
        ImdsCase{"TokenMethodNotAllowed",
                 {405, 200, 200},
                 kDocument,
                 absl::StatusCode::kFailedPrecondition,
                 "HTTP 405",
                 1},
        ImdsCase{"TokenServerError",
                 {500, 200, 200},
                 kDocument,
                 absl::StatusCode::kUnavailable,
                 "instance metadata",
                 2},
        ImdsCase{"NoRole",
                 {200, 404, 200},
                 kDocument,
                 absl::StatusCode::kFailedPrecondition,
                 "no IAM role",
                 3},
        ImdsCase{"TokenRejected",
                 {200, 401, 200},
                 kDocument,
                 absl::StatusCode::kUnauthenticated,
                 "instance metadata",
                 3},
        ImdsCase{
            "CredentialsError",
            {200, 200, 200},
            R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role"})",
            absl::StatusCode::kInternal,
            "EC2 cannot assume the role",
            3},
        ImdsCase{"CredentialsNotJsonRetried",
                 {200, 200, 200},
                 "<html>",
                 absl::StatusCode::kInternal,
                 "not a JSON object",
                 4}),
    [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace linkgateway::adapters::auth
