// linkgateway-health against the real gateway binary: its exit code and line
// for a serving server, a provider that is not serving, an unknown service,
// no server at all, TLS with and without the caller's credentials.
#include <openssl/sha.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::deploy::health_probe {
namespace {

using linkgateway::tests::testing::ChildProcess;
using linkgateway::tests::testing::Completed;
using linkgateway::tests::testing::RunfilePath;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Completed Probe(std::vector<std::string> args) {
  args.insert(args.begin(), RunfilePath("deploy/health_probe/linkgateway-health"));
  auto done = linkgateway::tests::testing::RunToCompletion(args, absl::Seconds(20));
  EXPECT_TRUE(done.ok()) << done.status();
  return done.ok() ? *done : Completed{};
}

std::string TempPath(std::string const& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

TEST(HealthProbeTest, ServingGatewayExitsZero) {
  auto gateway = linkgateway::tests::testing::StartGateway({});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  Completed done = Probe({"--address=" + (*gateway)->address()});
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(done.output, "the server: SERVING\n");
}

TEST(HealthProbeTest, ProviderWithoutCredentialsIsNotServing) {
  auto gateway = linkgateway::tests::testing::StartGateway({});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  Completed done =
      Probe({"--address=" + (*gateway)->address(), "--service=linkgateway.provider.imiconnect"});
  EXPECT_EQ(done.exit_code, 1) << done.output;
  EXPECT_EQ(done.output, "linkgateway.provider.imiconnect: NOT_SERVING\n");
}

TEST(HealthProbeTest, UnknownServiceFails) {
  auto gateway = linkgateway::tests::testing::StartGateway({});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  Completed done = Probe({"--address=" + (*gateway)->address(), "--service=no.such.Service"});
  EXPECT_EQ(done.exit_code, 1) << done.output;
  EXPECT_THAT(done.output, StartsWith("no.such.Service: NOT_FOUND"));
}

TEST(HealthProbeTest, NoServerFailsWithinTheTimeout) {
  int port = linkgateway::tests::testing::FreeLoopbackPort();
  absl::Time start = absl::Now();
  Completed done = Probe({absl::StrCat("--address=127.0.0.1:", port), "--timeout=500ms"});
  EXPECT_EQ(done.exit_code, 1) << done.output;
  EXPECT_THAT(done.output, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(HealthProbeTest, StoppedGatewayFails) {
  auto gateway = linkgateway::tests::testing::StartGateway({});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  std::string address = (*gateway)->address();
  ASSERT_EQ((*gateway)->Stop(SIGTERM), 0);
  Completed done = Probe({"--address=" + address, "--timeout=500ms"});
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

TEST(HealthProbeTest, UnreadableFileIsAUsageError) {
  Completed done = Probe({"--address=127.0.0.1:1", "--ca_file=/nonexistent/ca.pem"});
  EXPECT_EQ(done.exit_code, 2) << done.output;
  EXPECT_THAT(done.output, HasSubstr("--ca_file: cannot read /nonexistent/ca.pem"));
  done = Probe(
      {"--address=127.0.0.1:1", "--cert_file=" + RunfilePath("deploy/health_probe/BUILD.bazel")});
  EXPECT_EQ(done.exit_code, 2) << done.output;
}

// A gateway on TLS whose callers must prove who they are (mTLS or a bearer
// token), health included, as in production without
// public_health_and_reflection.
class TlsHealthProbeTest : public ::testing::Test {
 protected:
  static constexpr char kToken[] = "probe-token-0123456789abcdef";

  void SetUp() override {
    auto certs = linkgateway::tests::testing::MakeTestCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    auto client = linkgateway::tests::testing::MakeCertificate(certs_, "probe", "/CN=probe",
                                                               "URI:spiffe://example.org/probe");
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *client;
    // A token file line: principal, salt, sha256(salt || token), in hex.
    std::string salt = "0123456789abcdef";
    std::string salted = salt + kToken;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(salted.data()), salted.size(), digest);
    std::string tokens = TempPath("tokens.txt");
    std::ofstream(tokens) << "probe " << absl::BytesToHexString(salt) << " "
                          << absl::BytesToHexString(absl::string_view(
                                 reinterpret_cast<char const*>(digest), sizeof(digest)))
                          << "\n";
    token_file_ = TempPath("probe.token");
    std::ofstream(token_file_) << kToken << "\n";
    std::string config = TempPath("gateway.textproto");
    std::ofstream(config) << "security {\n"
                          << "  tls { cert_file: \"" << certs_.server_cert << "\" key_file: \""
                          << certs_.server_key << "\" client_ca_file: \"" << certs_.ca_cert
                          << "\" }\n"
                          << "  authentication { mtls: true token_file: \"" << tokens << "\" }\n"
                          << "}\n";
    auto gateway = linkgateway::tests::testing::StartGateway({"--config=" + config});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  std::vector<std::string> Args(std::vector<std::string> more) {
    more.insert(more.begin(), "--address=" + gateway_->address());
    return more;
  }

  linkgateway::tests::testing::TestCertificates certs_;
  linkgateway::tests::testing::TestCertificate client_;
  std::string token_file_;
  std::unique_ptr<ChildProcess> gateway_;
};

TEST_F(TlsHealthProbeTest, ClientCertificateIsServing) {
  Completed done = Probe(Args(
      {"--ca_file=" + certs_.ca_cert, "--cert_file=" + client_.cert, "--key_file=" + client_.key}));
  EXPECT_EQ(done.exit_code, 0) << done.output;
}

TEST_F(TlsHealthProbeTest, BearerTokenIsServing) {
  Completed done = Probe(Args({"--ca_file=" + certs_.ca_cert, "--token_file=" + token_file_}));
  EXPECT_EQ(done.exit_code, 0) << done.output;
}

TEST_F(TlsHealthProbeTest, NoCredentialsIsUnauthenticated) {
  Completed done = Probe(Args({"--ca_file=" + certs_.ca_cert}));
  EXPECT_EQ(done.exit_code, 1) << done.output;
  EXPECT_THAT(done.output, HasSubstr("UNAUTHENTICATED"));
}

TEST_F(TlsHealthProbeTest, ServerNameMustMatchTheCertificate) {
  Completed done = Probe(Args({"--ca_file=" + certs_.ca_cert, "--token_file=" + token_file_,
                               "--server_name=linkgateway.example.org", "--timeout=1s"}));
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

TEST_F(TlsHealthProbeTest, AnotherCaIsRefused) {
  auto other = linkgateway::tests::testing::MakeTestCertificates();
  ASSERT_TRUE(other.ok()) << other.status();
  Completed done =
      Probe(Args({"--ca_file=" + other->ca_cert, "--token_file=" + token_file_, "--timeout=1s"}));
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

TEST_F(TlsHealthProbeTest, PlaintextToATlsServerFails) {
  Completed done = Probe(Args({"--timeout=1s"}));
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

}  // namespace
}  // namespace linkgateway::deploy::health_probe
