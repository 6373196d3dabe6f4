// What issue 23 asks of the parts the server wires (GatewayServer): the
// audit settings from the configuration (rotation by time, retention,
// signing), the security files' opt-ins (keep_last_good,
// allow_writable_by_others) and their metrics, and health: the destructive
// services NOT_SERVING while the audit trail cannot be written, the whole
// gateway NOT_SERVING while a file that grants access cannot be used
// (tests/security/README.md, "Wiring").
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/security/token_file.h"
#include "tests/security/loop_file_system.h"
#include "tests/security/secure_gateway.h"
#include "tests/testing/metrics_text.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;

constexpr char kTokA[] = "tok-a-secret-7f3e91";

class PipelineHooksTest : public SecureGatewayTest {
 protected:
  double Metric(std::string const& series) {
    auto metrics = Metrics();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    return tests::testing::MetricValue(metrics.value_or(""), series);
  }

  // grpc.health.v1 for `service` ("" = the gateway): true when SERVING.
  bool Serving(std::string const& service) {
    auto health = grpc::health::v1::Health::NewStub(Channel());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  // An Ed25519 key pair made with the openssl tool: the private key's path.
  std::string KeyPair() {
    std::string key = Dir() + "/audit-key.pem";
    auto made = tests::testing::RunToCompletion(
        {"/usr/bin/openssl", "genpkey", "-algorithm", "ed25519", "-out", key});
    EXPECT_TRUE(made.ok() && made->exit_code == 0);
    chmod(key.c_str(), 0600);
    auto pub = tests::testing::RunToCompletion(
        {"/usr/bin/openssl", "pkey", "-in", key, "-pubout", "-out", Dir() + "/audit-key.pub"});
    EXPECT_TRUE(pub.ok() && pub->exit_code == 0);
    return key;
  }
};

TEST_F(PipelineHooksTest, RotationKeepsWhatIsYoungerThanTheRetentionAndSaysSo) {
  SecureOptions options;
  options.audit_extra = "max_file_bytes: 2000 max_files: 1 min_retention { seconds: 3600 }";
  StartSecure(options);
  auto channel = Channel();
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(DryRun(channel, kTokA).ok());
  struct stat st {};
  EXPECT_EQ(stat((audit_path() + ".3").c_str(), &st), 0) << "young files were removed";
  EXPECT_GE(Metric("linkgateway_audit_files_kept_for_retention"), 2);
  EXPECT_THAT(env_->gateway().Output(), HasSubstr("are younger than security.audit.min_retention"));
  EXPECT_EQ(Verify().exit_code, 0);
}

TEST_F(PipelineHooksTest, FilesRotateByTime) {
  SecureOptions options;
  options.audit_extra = "rotate_interval { nanos: 1 }";
  StartSecure(options);
  auto channel = Channel();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(DryRun(channel, kTokA).ok());
  EXPECT_EQ(AuditRecords()[0].file_start().reason(), "rotated by time");
}

TEST_F(PipelineHooksTest, TheConfiguredKeySignsTheTrail) {
  SecureOptions options;
  options.audit_extra = absl::StrCat("max_file_bytes: 2000 signing_key_file: \"", KeyPair(), "\"");
  StartSecure(options);
  auto channel = Channel();
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(DryRun(channel, kTokA).ok());
  env_.reset();  // seals the current file
  auto verified = Verify({"--public_key=" + Dir() + "/audit-key.pub"});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("signature(s) checked with key"));
}

TEST_F(PipelineHooksTest, KeepLastGoodIsAnOptInAndStillReported) {
  SecureOptions options;
  options.security_extra = "files { keep_last_good: true }";
  StartSecure(options);
  auto channel = Channel();
  EXPECT_EQ(Metric("linkgateway_token_file_usable"), 1);
  WriteFile(tokens_path(), "broken\n");
  ASSERT_TRUE(Eventually([&] {
    return env_->gateway().Output().find("keeping its last good contents") != std::string::npos;
  }));
  EXPECT_TRUE(DryRun(channel, kTokA).ok());
  EXPECT_EQ(Metric("linkgateway_token_file_usable"), 0);
}

TEST_F(PipelineHooksTest, WritableFilesAreAnOptIn) {
  SecureOptions options;
  options.security_extra = "files { allow_writable_by_others: true }";
  options.file_mode = 0666;
  StartSecure(options);
  EXPECT_TRUE(DryRun(Channel(), kTokA).ok());
}

TEST_F(PipelineHooksTest, AnUnusableSecurityFileTurnsTheGatewayNotServing) {
  SecureOptions options;
  options.security_extra = "public_health_and_reflection: true";
  StartSecure(options);
  ASSERT_TRUE(Serving(""));
  WriteFile(policy_path(), "{");
  EXPECT_TRUE(Eventually([&] { return !Serving(""); }));
  EXPECT_EQ(Metric("linkgateway_policy_file_usable"), 0);
  WriteFile(policy_path(), R"({"name": "attack", "allow_rules": [{"name": "everyone"}]})");
  EXPECT_TRUE(Eventually([&] { return Serving(""); }));
}

TEST_F(PipelineHooksTest, DestructiveServicesAreNotServingWhileTheTrailCannotBeWritten) {
  auto disk = LoopFileSystem::Mount(Dir());
  ASSERT_TRUE(disk.ok()) << "THIS MACHINE CANNOT MOUNT A FILE SYSTEM ON A LOOP DEVICE: "
                         << disk.status();
  SecureOptions options;
  options.audit_path = (*disk)->mount_point() + "/audit.jsonl";
  options.security_extra = "public_health_and_reflection: true";
  StartSecure(options);
  std::string const kRegistrations = "linkgateway.v1.RegistrationService";
  ASSERT_TRUE(Serving(kRegistrations));
  ASSERT_TRUE((*disk)->Fail().ok());
  EXPECT_TRUE(Eventually([&] { return !Serving(kRegistrations); }));
  EXPECT_FALSE(Serving("linkgateway.v1.AppProfileService"));
  ASSERT_TRUE((*disk)->Repair().ok());
  EXPECT_TRUE(Eventually([&] { return Serving(kRegistrations); }, absl::Seconds(20)));
  env_.reset();
}

}  // namespace
}  // namespace linkgateway::tests::security
