// The real gateway binary set up as an attacker finds it: TLS with a CA of
// the test's own (made at test time), client certificates and bearer tokens
// both accepted, a policy, and the audit trail in a file; plus what an
// attack needs to look at the result (the emulators' requests, the trail,
// the metrics, the verify tool).
#ifndef LINKGATEWAY_TESTS_SECURITY_SECURE_GATEWAY_H_
#define LINKGATEWAY_TESTS_SECURITY_SECURE_GATEWAY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::tests::security {

struct SecureOptions {
  // Token file lines: name -> token.
  std::vector<std::pair<std::string, std::string>> tokens = {{"tok-a", "tok-a-secret-7f3e91"}};
  // The policy file's JSON.
  std::string policy = R"({"name": "attack", "allow_rules": [{"name": "everyone"}]})";
  // The token and policy files' mode.
  int file_mode = 0600;
  // The audit trail's file; "" = audit.jsonl in the test's directory.
  std::string audit_path;
  // Added inside security { ... } and audit { ... }, and to the config.
  std::string security_extra;
  std::string audit_extra;
  std::string extra_config;
  // Added inside sms_voice { ... } (e.g. a rate limit that paces unlink steps).
  std::string sms_voice_config;
  // Replaces the default observability { ... } body when set.
  std::string observability;
};

class SecureGatewayTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void SetUp() override {}

  // The test's own directory (mode 700), made once per test.
  std::string const& Dir();
  // The CA clients and the gateway's listener use (one per test binary).
  static tests::testing::TestCertificates const& Ca();

  // (Re)starts the gateway with `options` (files written to Dir()).
  void StartSecure(SecureOptions options = {});
  // Writes a configuration like StartSecure's (without the emulators) and
  // its files; returns its path.
  std::string WriteConfig(SecureOptions const& options);
  // Runs the gateway binary with `config` to completion (start-up refusals).
  absl::StatusOr<tests::testing::Completed> RunExpectingExit(std::string const& config);
  absl::StatusOr<tests::testing::Completed> RunExpectingExit(SecureOptions const& options) {
    return RunExpectingExit(WriteConfig(options));
  }

  // A TLS channel to the gateway, with a client certificate when given.
  std::shared_ptr<grpc::Channel> Channel(tests::testing::TestCertificate const* client = nullptr);
  // A client certificate from Ca() (openssl subject and SAN list).
  tests::testing::TestCertificate Certificate(std::string const& name, std::string const& subject,
                                              std::string const& sans = "");

  // DeleteRegistration of SMS and Voice registration `id`, with a bearer
  // token when `token` is set.
  grpc::Status DeleteSms(std::shared_ptr<grpc::Channel> const& channel, std::string const& token,
                         std::string const& id, std::string const& request_id = "");
  // The same as a dry run (validate_only): authenticated, authorized,
  // validated and audited, nothing sent.
  grpc::Status DryRun(std::shared_ptr<grpc::Channel> const& channel, std::string const& token);
  // Seeds the SMS and Voice emulator with registration `id`.
  void SeedSms(std::string const& id);
  // Requests (deletes, here) the SMS and Voice emulator received.
  int SmsDeletes();

  std::vector<linkgateway::audit::v1::AuditRecord> AuditRecords() const;
  std::string const& audit_path() const { return audit_path_; }
  std::string const& tokens_path() const { return tokens_path_; }
  std::string const& policy_path() const { return policy_path_; }
  absl::StatusOr<std::string> Metrics() { return env_->Metrics(); }

  // Runs //server/audit:verify on the trail.
  tests::testing::Completed Verify(std::vector<std::string> extra_args = {}) const;

 private:
  std::string ConfigFor(SecureOptions const& options);

  std::string dir_;
  std::string audit_path_, tokens_path_, policy_path_;
  int starts_ = 0;
};

// Polls `condition` every 50 ms for up to `limit`.
template <typename F>
bool Eventually(F condition, absl::Duration limit = absl::Seconds(10)) {
  absl::Time give_up = absl::Now() + limit;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

std::string ReadFile(std::string const& path);
void WriteFile(std::string const& path, std::string const& text, int mode = 0600);

}  // namespace linkgateway::tests::security

#endif  // LINKGATEWAY_TESTS_SECURITY_SECURE_GATEWAY_H_
