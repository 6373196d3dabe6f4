// The gateway's SigV4 signer (adapters/auth/aws_sigv4), sent through the
// real libcurl transport, verified by an independent implementation:
// botocore's signer in an HTTPS server on 127.0.0.1.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "adapters/auth/aws_sigv4.h"
#include "adapters/transport/curl_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::tests::integration {
namespace {

using linkgateway::tests::testing::ChildProcess;
using linkgateway::tests::testing::StartEmulator;
using ::testing::HasSubstr;

// Example-shaped credentials made up for this test.
constexpr char kKeyId[] = "AKIDLINKGATEWAYTEST1";
constexpr char kSecret[] = "test/secret+key/for/sigv4/verification00";
constexpr char kToken[] = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//test==";

class SigV4Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = linkgateway::tests::testing::MakeTestCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    ca_ = certs->ca_cert;
    auto server = tests::testing::StartEmulator(
        "sigv4_check_server.py", {"--cert", certs->server_cert, "--key", certs->server_key,
                                  "--region", "eu-west-1", "--service", "sms-voice", "--key-id",
                                  kKeyId, "--secret", kSecret, "--session-token", kToken});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    adapters::transport::CurlTransportOptions options;
    options.ca_bundle_file = ca_;
    transport_ = std::make_unique<adapters::transport::CurlTransport>(options);
  }

  absl::StatusOr<adapters::transport::HttpResponse> Send(
      adapters::auth::AwsCredentials credentials) {
    adapters::transport::HttpRequest request;
    request.method = "POST";
    request.url = "https://" + server_->address() + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                       {"X-Amz-Target", "PinpointSMSVoiceV2.DeleteRegistration"}};
    request.body = R"({"RegistrationId":"registration-0123abcd"})";
    request.deadline = absl::Now() + absl::Seconds(10);
    absl::Status signed_ok =
        adapters::auth::SignSigV4(request, {"eu-west-1", "sms-voice"}, credentials, absl::Now());
    if (!signed_ok.ok()) return signed_ok;
    absl::Notification done;
    absl::StatusOr<adapters::transport::HttpResponse> result;
    transport_->Send(request, nullptr, [&](absl::StatusOr<adapters::transport::HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)))
        << "timed out waiting for done";
    return result;
  }

  std::string ca_;
  std::unique_ptr<tests::testing::ChildProcess> server_;
  std::unique_ptr<adapters::transport::CurlTransport> transport_;
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

}  // namespace
}  // namespace linkgateway::tests::integration
