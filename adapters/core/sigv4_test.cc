// SigV4 signing (libcurl's CURLOPT_AWS_SIGV4 through CurlTransport), verified
// by an independent implementation: botocore's signer in an HTTPS server on
// 127.0.0.1. Plus the AWS credentials sources.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "adapters/core/aws_credentials.h"
#include "adapters/core/curl_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::core {
namespace {

using ::testing::HasSubstr;
using linkgateway::testing::ChildProcess;
using linkgateway::testing::StartEmulator;

// Example-shaped credentials made up for this test.
constexpr char kKeyId[] = "AKIDLINKGATEWAYTEST1";
constexpr char kSecret[] = "test/secret+key/for/sigv4/verification00";
constexpr char kToken[] = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//test==";

class SigV4Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = linkgateway::testing::MakeTestCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    ca_ = certs->ca_cert;
    auto server = StartEmulator("sigv4_check_server.py",
                                {"--cert", certs->server_cert, "--key", certs->server_key,
                                 "--region", "eu-west-1", "--service", "sms-voice",
                                 "--key-id", kKeyId, "--secret", kSecret,
                                 "--session-token", kToken});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    CurlTransportOptions options;
    options.ca_bundle_file = ca_;
    transport_ = std::make_unique<CurlTransport>(options);
  }

  absl::StatusOr<HttpResponse> Send(AwsCredentials credentials) {
    HttpRequest request;
    request.method = "POST";
    request.url = "https://" + server_->address() + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                       {"X-Amz-Target", "PinpointSMSVoiceV2.DeleteRegistration"}};
    request.body = R"({"RegistrationId":"registration-0123abcd"})";
    request.deadline = absl::Now() + absl::Seconds(10);
    request.sigv4 = AwsSigV4{"eu-west-1", "sms-voice", std::move(credentials)};
    absl::Notification done;
    absl::StatusOr<HttpResponse> result;
    transport_->Send(request, nullptr, [&](absl::StatusOr<HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  std::string ca_;
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<CurlTransport> transport_;
};

TEST_F(SigV4Test, BotocoreAcceptsTheSignatureWithSessionToken) {
  auto response = Send({kKeyId, kSecret, kToken});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_THAT(response->body, HasSubstr(kKeyId));
  EXPECT_THAT(response->body, HasSubstr("PinpointSMSVoiceV2.DeleteRegistration"));
}

TEST_F(SigV4Test, WrongSecretIsRejected) {
  auto response = Send({kKeyId, "not-the-secret", kToken});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->Header("x-amzn-ErrorType"), "InvalidSignatureException");
}

TEST_F(SigV4Test, MissingSessionTokenIsRejected) {
  auto response = Send({kKeyId, kSecret, ""});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->Header("x-amzn-ErrorType"), "UnrecognizedClientException");
}

TEST(AwsCredentialsTest, FromEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  unsetenv("AWS_SESSION_TOKEN");
  auto credentials = MakeEnvironmentAwsCredentials()->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "id");
  EXPECT_EQ(credentials->session_token, "");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  auto missing = MakeEnvironmentAwsCredentials()->Get();
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("AWS_SECRET_ACCESS_KEY"));
}

TEST(AwsCredentialsTest, FileProfilesAndRotation) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/credentials";
  std::ofstream(path) << "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n"
                         "# comment\n[gateway]\naws_access_key_id=A2\n"
                         "aws_secret_access_key=S2\naws_session_token=T2\n";
  auto gateway = MakeFileAwsCredentials(path, "gateway");
  auto first = gateway->Get();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->access_key_id, "A2");
  EXPECT_EQ(first->session_token, "T2");

  std::ofstream(path) << "[gateway]\naws_access_key_id=A3\naws_secret_access_key=S3-rotated\n";
  auto rotated = gateway->Get();
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->access_key_id, "A3");
  EXPECT_EQ(rotated->session_token, "");

  auto absent = MakeFileAwsCredentials(path, "nope")->Get();
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(absent.status().message(), HasSubstr("[nope]"));
  EXPECT_THAT(absent.status().message(), ::testing::Not(HasSubstr("S3-rotated")));
}

}  // namespace
}  // namespace linkgateway::core
