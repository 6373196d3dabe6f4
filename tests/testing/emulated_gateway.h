// The real gateway binary wired to the HTTPS emulators, for integration
// tests: a test CA, the emulators and the gateway on free loopback ports, and
// a config file pointing the gateway at them.
//
// The emulators start once per test binary and are reset (their state
// forgotten) for each new EmulatedGateway; one is restarted only when a test
// asks for other emulator arguments. The gateway itself starts fresh every
// time, so no token cache or rate-limit bucket carries over between tests.
#ifndef LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_H_
#define LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/channel.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::tests::testing {

// The LWA application the Amazon emulator knows.
inline constexpr char kLwaClientId[] = "amzn1.application-oa2-client.linkgatewaytest";
inline constexpr char kLwaClientSecret[] = "lwa-test-client-secret";
// The AWS credentials (with a session token) the SMS and Voice emulator knows.
inline constexpr char kAwsKeyId[] = "AKIDLINKGATEWAYTEST2";
inline constexpr char kAwsSecret[] = "aws-test-secret/for+the/sms-voice/emulator";
inline constexpr char kAwsSessionToken[] = "FwoGZXIvYXdzEXAMPLE//linkgatewaytest==";
// The IMIconnect tenant's profile key.
inline constexpr char kImiconnectKey[] = "imiconnect-test-profile-key";

enum class Emulator { kAmazon, kSmsVoice, kImiconnect };

struct EmulatedGatewayOptions {
  // Extra arguments for amazon_emulator.py.
  std::vector<std::string> amazon_args;
  // Appended to the generated gateway configuration (text format).
  std::string extra_config;
  // The configuration's security section (text format, inside
  // `security { ... }`); default: plaintext, audit to audit.jsonl in the
  // test's temporary directory (see audit_path()).
  std::string security_config;
  // The configuration's observability section (inside `observability {
  // ... }`); default: metrics on a free loopback port, the JSON access log
  // to access.jsonl in the test's temporary directory (access_log_path()).
  std::string observability_config;
  // Added inside its login_with_amazon { ... }, selling_partner { ... },
  // sms_voice { ... } and imiconnect { ... } blocks.
  std::string login_with_amazon_config;
  std::string selling_partner_config;
  std::string sms_voice_config;
  std::string imiconnect_config;
  // The LWA client secret the gateway is configured with.
  std::string lwa_client_secret = kLwaClientSecret;

  // Extra arguments for sms_voice_emulator.py and imiconnect_emulator.py.
  std::vector<std::string> sms_voice_args;
  std::vector<std::string> imiconnect_args;
  // The AWS secret and session token the gateway signs with (written to a
  // shared credentials file).
  std::string aws_secret = kAwsSecret;
  std::string aws_session_token = kAwsSessionToken;
  // The IMIconnect profile key the gateway is configured with (from the
  // environment) ...
  std::string imiconnect_key = kImiconnectKey;
  // ... or, when set, the file it reads the key from.
  std::string imiconnect_key_file;
  // "127.0.0.1:<port>" every provider endpoint (and the LWA token endpoint)
  // points at instead of the emulators, e.g. an emulator's --alt-cert port
  // or a port nothing listens on; "" = the emulators.
  std::string upstream_override;
  // Gateway processes started with the same configuration (each with its
  // own audit trail and access log), e.g. 3 with a shared_state in
  // extra_config.
  int replicas = 1;
  // Per replica (by index; missing or empty: none): configuration appended
  // after extra_config (e.g. its own unlink store), and its own security
  // section instead of security_config (e.g. an audit trail elsewhere).
  std::vector<std::string> replica_config;
  std::vector<std::string> replica_security_config;
};

// The test CA and server certificate of this test binary's emulators (made
// once), for a further emulator a test starts itself with StartEmulator,
// e.g. a second IMIconnect tenant's.
absl::StatusOr<TestCertificates> EmulatorCertificates();

// POSTs `json` to such an emulator's /__emulator/<path> (as
// EmulatedGateway::Control does).
absl::StatusOr<google::protobuf::Struct> ControlEmulator(ChildProcess const& emulator,
                                                         std::string const& path,
                                                         std::string const& json = "{}");

class Emulators;

class EmulatedGateway {
 public:
  static absl::StatusOr<std::unique_ptr<EmulatedGateway>> Start(
      EmulatedGatewayOptions options = {});
  ~EmulatedGateway();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // The test CA the emulators' (and a TLS gateway's) certificates come from.
  TestCertificates const& certs() const;
  // The address the gateway listens on, 127.0.0.1:<port>.
  std::string address() const { return replicas_[0]->address(); }
  int replica_count() const { return static_cast<int>(replicas_.size()); }
  ChildProcess& replica(int i) { return *replicas_.at(i); }
  // The audit trail file of the default security section.
  std::string const& audit_path() const { return audit_path_; }
  // The access log of the default observability section.
  std::string const& access_log_path() const { return access_log_path_; }
  // GET /metrics from a replica's metrics endpoint (the address it logged).
  absl::StatusOr<std::string> Metrics(int replica = 0);
  ChildProcess& gateway() { return *replicas_[0]; }
  // Stops replica `i` with `signal` (SIGKILL: a crash) and starts it again
  // with the same configuration, on a new port; channel() then points at
  // replica 0's new address.
  absl::Status Restart(int i, int signal);
  ChildProcess& amazon();

  // POSTs `json` to an emulator's /__emulator/<path> and returns the parsed
  // answer (arrays come back under the key "items").
  absl::StatusOr<google::protobuf::Struct> Control(Emulator emulator, std::string const& path,
                                                   std::string const& json = "{}");
  absl::StatusOr<google::protobuf::Struct> Control(std::string const& path,
                                                   std::string const& json = "{}") {
    return Control(Emulator::kAmazon, path, json);
  }

  // The requests an emulator received whose path starts with `prefix`.
  std::vector<google::protobuf::Struct> Received(Emulator emulator, std::string const& prefix);
  // How many answers with `http_status` an emulator sent.
  int StatusCount(Emulator emulator, int http_status);
  // An event the emulator counts beside the statuses (e.g. "throttled").
  int StatusCount(Emulator emulator, std::string const& key);

 private:
  std::shared_ptr<Emulators> emulators_;
  std::vector<std::unique_ptr<ChildProcess>> replicas_;
  std::vector<std::string> config_files_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string audit_path_;
  std::string access_log_path_;
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_H_
