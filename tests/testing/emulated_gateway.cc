#include "tests/testing/emulated_gateway.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "httplib.h"

namespace linkgateway::tests::testing {

// The three emulators of one test binary, shared by its tests.
class Emulators {
 public:
  explicit Emulators(TestCertificates certs) : certs_(std::move(certs)) {}

  // The running emulators, each (re)started when its arguments differ from
  // what it runs with, and reset otherwise.
  static absl::StatusOr<std::shared_ptr<Emulators>> Get(EmulatedGatewayOptions const& options);

  TestCertificates const& certs() const { return certs_; }
  ChildProcess& process(Emulator emulator) { return *slots_[Index(emulator)].process; }

  absl::StatusOr<google::protobuf::Struct> Control(Emulator emulator, std::string const& path,
                                                   std::string const& json);

 private:
  struct Slot {
    std::vector<std::string> args;
    std::unique_ptr<ChildProcess> process;
  };

  static int Index(Emulator emulator) { return static_cast<int>(emulator); }
  absl::Status Ensure(Emulator emulator, std::string const& script,
                      std::vector<std::string> args);

  TestCertificates certs_;
  Slot slots_[3];
};

namespace {

// Destroyed when the test binary exits, which stops the emulators.
absl::Mutex shared_mu;
std::shared_ptr<Emulators> shared ABSL_GUARDED_BY(shared_mu);

// The shared emulators' slot, with its certificates made (no emulator
// started yet).
absl::Status MakeSharedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_mu) {
  if (shared != nullptr) return absl::OkStatus();
  auto certs = MakeTestCertificates();
  if (!certs.ok()) return certs.status();
  shared = std::make_shared<Emulators>(*std::move(certs));
  return absl::OkStatus();
}

// POSTs `json` to /__emulator/<path> of the emulator on `port`.
absl::StatusOr<google::protobuf::Struct> ControlAt(int port, std::string const& ca_cert,
                                                   std::string const& path,
                                                   std::string const& json) {
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca_cert.c_str());
  client.enable_server_certificate_verification(true);
  // Every wait is bounded: a stuck emulator fails the test with a message.
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  client.set_write_timeout(10, 0);
  auto response = client.Post(("/__emulator/" + path).c_str(), json, "application/json");
  if (!response || response->status != 200) {
    return absl::InternalError(absl::StrCat("emulator control ", path, " failed"));
  }
  std::string body = response->body;
  if (!body.empty() && body[0] == '[') body = absl::StrCat("{\"items\":", body, "}");
  google::protobuf::Struct result;
  if (!google::protobuf::util::JsonStringToMessage(body, &result).ok()) {
    return absl::InternalError(absl::StrCat("emulator control ", path, ": bad JSON"));
  }
  return result;
}

}  // namespace

absl::StatusOr<TestCertificates> EmulatorCertificates() {
  absl::MutexLock lock(&shared_mu);
  if (absl::Status made = MakeSharedLocked(); !made.ok()) return made;
  return shared->certs();
}

absl::StatusOr<google::protobuf::Struct> ControlEmulator(ChildProcess const& emulator,
                                                         std::string const& path,
                                                         std::string const& json) {
  auto certs = EmulatorCertificates();
  if (!certs.ok()) return certs.status();
  return ControlAt(emulator.port(), certs->ca_cert, path, json);
}

absl::StatusOr<std::shared_ptr<Emulators>> Emulators::Get(EmulatedGatewayOptions const& options) {
  absl::MutexLock lock(&shared_mu);
  if (absl::Status made = MakeSharedLocked(); !made.ok()) return made;
  Emulators& e = *shared;
  std::vector<std::string> tls = {"--cert", e.certs_.server_cert, "--key", e.certs_.server_key};

  std::vector<std::string> args = tls;
  args.insert(args.end(), {"--lwa-client", absl::StrCat(kLwaClientId, ":", kLwaClientSecret)});
  args.insert(args.end(), options.amazon_args.begin(), options.amazon_args.end());
  if (auto s = e.Ensure(Emulator::kAmazon, "amazon_emulator.py", args); !s.ok()) return s;

  args = tls;
  args.insert(args.end(), {"--region", "us-east-1", "--key-id", kAwsKeyId, "--secret",
                           kAwsSecret, "--session-token", kAwsSessionToken});
  args.insert(args.end(), options.sms_voice_args.begin(), options.sms_voice_args.end());
  if (auto s = e.Ensure(Emulator::kSmsVoice, "sms_voice_emulator.py", args); !s.ok()) return s;

  args = tls;
  args.insert(args.end(), {"--profile-key", kImiconnectKey});
  args.insert(args.end(), options.imiconnect_args.begin(), options.imiconnect_args.end());
  if (auto s = e.Ensure(Emulator::kImiconnect, "imiconnect_emulator.py", args); !s.ok()) {
    return s;
  }
  return shared;
}

absl::Status Emulators::Ensure(Emulator emulator, std::string const& script,
                               std::vector<std::string> args) {
  Slot& slot = slots_[Index(emulator)];
  if (slot.process != nullptr && slot.args == args) {
    // Same emulator: forget what earlier tests did to it.
    if (Control(emulator, "reset", "{}").ok()) return absl::OkStatus();
  }
  slot.process.reset();
  auto process = StartEmulator(script, args);
  if (!process.ok()) return process.status();
  slot.process = *std::move(process);
  slot.args = std::move(args);
  return absl::OkStatus();
}

absl::StatusOr<google::protobuf::Struct> Emulators::Control(Emulator emulator,
                                                            std::string const& path,
                                                            std::string const& json) {
  return ControlAt(process(emulator).port(), certs_.ca_cert, path, json);
}

EmulatedGateway::~EmulatedGateway() = default;

ChildProcess& EmulatedGateway::amazon() { return emulators_->process(Emulator::kAmazon); }

TestCertificates const& EmulatedGateway::certs() const { return emulators_->certs(); }

absl::StatusOr<std::unique_ptr<EmulatedGateway>> EmulatedGateway::Start(
    EmulatedGatewayOptions options) {
  auto gateway = std::unique_ptr<EmulatedGateway>(new EmulatedGateway());
  auto emulators = Emulators::Get(options);
  if (!emulators.ok()) return emulators.status();
  gateway->emulators_ = *std::move(emulators);
  Emulators& e = *gateway->emulators_;
  ChildProcess& amazon = e.process(Emulator::kAmazon);

  // Secrets reach the gateway the production way: environment and files.
  std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string secret_file = absl::StrCat(dir, "/lwa_secret.", amazon.port());
  std::ofstream(secret_file) << options.lwa_client_secret << "\n";
  setenv("LINKGATEWAY_TEST_LWA_CLIENT_ID", kLwaClientId, 1);
  std::string aws_file = absl::StrCat(dir, "/aws_credentials.", amazon.port());
  std::ofstream(aws_file) << "[gateway]\naws_access_key_id = " << kAwsKeyId
                          << "\naws_secret_access_key = " << options.aws_secret
                          << "\naws_session_token = " << options.aws_session_token << "\n";
  setenv("LINKGATEWAY_TEST_IMICONNECT_KEY", options.imiconnect_key.c_str(), 1);

  // Gateways sharing emulators (the fault matrix's) share their port: each
  // its own files all the same (they removed and rewrote one another's
  // audit trail).
  static std::atomic<int> gateways{0};
  int const serial = ++gateways;
  for (int replica = 0; replica < std::max(1, options.replicas); ++replica) {
    // Each replica its own trail and log: ".r<N>" after the first.
    std::string suffix =
        absl::StrCat(".g", serial, replica == 0 ? "" : absl::StrCat(".r", replica));
    std::string audit_path = absl::StrCat(dir, "/audit.", amazon.port(), suffix, ".jsonl");
    std::remove(audit_path.c_str());  // each gateway starts a fresh trail
    if (replica == 0) gateway->audit_path_ = audit_path;
    std::string security =
        options.security_config.empty()
            ? absl::StrCat("plaintext: true audit { path: \"", audit_path, "\" }")
            : options.security_config;
    if (replica < static_cast<int>(options.replica_security_config.size()) &&
        !options.replica_security_config[replica].empty()) {
      security = options.replica_security_config[replica];
    }
    std::string own_config = replica < static_cast<int>(options.replica_config.size())
                                 ? options.replica_config[replica]
                                 : "";
    std::string access_log_path = absl::StrCat(dir, "/access.", amazon.port(), suffix, ".jsonl");
    std::remove(access_log_path.c_str());
    if (replica == 0) gateway->access_log_path_ = access_log_path;
    std::string observability =
        options.observability_config.empty()
            ? absl::StrCat("metrics_address: \"127.0.0.1:0\" access_log { enabled: true path: \"",
                           access_log_path, "\" }")
            : options.observability_config;
    std::string const& override_address = options.upstream_override;
    auto address = [&](Emulator emulator) {
      return override_address.empty() ? e.process(emulator).address() : override_address;
    };
    std::string url = absl::StrCat("https://", address(Emulator::kAmazon));
    std::string config = absl::StrCat(
        "upstream { ca_bundle_file: \"", e.certs().ca_cert, "\" }\n",
        "dash_replenishment { endpoint: \"", url, "\" }\n",
        "login_with_amazon {\n  token_endpoint: \"", url, "/auth/o2/token\"\n",
        "  client_id { env: \"LINKGATEWAY_TEST_LWA_CLIENT_ID\" }\n", "  client_secret { file: \"",
        secret_file, "\" }\n", options.login_with_amazon_config, "}\n",
        "selling_partner {\n  north_america_endpoint: \"", url, "\"\n  europe_endpoint: \"", url,
        "\"\n  far_east_endpoint: \"", url, "\"\n", options.selling_partner_config, "}\n",
        "sms_voice {\n  region: \"us-east-1\"\n  endpoint: \"https://",
        address(Emulator::kSmsVoice), "\"\n  credentials { file { path: \"", aws_file,
        "\" profile: \"gateway\" } }\n", options.sms_voice_config, "}\n",
        "imiconnect {\n  base_url: \"https://", address(Emulator::kImiconnect), "\"\n",
        options.imiconnect_key_file.empty()
            ? std::string("  profile_key { env: \"LINKGATEWAY_TEST_IMICONNECT_KEY\" }\n")
            : absl::StrCat("  profile_key { file: \"", options.imiconnect_key_file, "\" }\n"),
        options.imiconnect_config, "}\n", "security {\n  ", security, "\n}\n",
        "observability {\n  ", observability, "\n}\n", options.extra_config, "\n", own_config);
    std::string config_file =
        absl::StrCat(dir, "/gateway.", amazon.port(), suffix, ".textproto");
    std::ofstream(config_file) << config;

    auto process = StartGateway({"--config=" + config_file});
    if (!process.ok()) return process.status();
    gateway->replicas_.push_back(*std::move(process));
    gateway->config_files_.push_back(config_file);
  }
  gateway->channel_ =
      grpc::CreateChannel(gateway->replicas_[0]->address(), grpc::InsecureChannelCredentials());
  return gateway;
}

absl::Status EmulatedGateway::Restart(int i, int signal) {
  replicas_.at(i)->Stop(signal);
  auto process = StartGateway({"--config=" + config_files_.at(i)});
  if (!process.ok()) return process.status();
  replicas_[i] = *std::move(process);
  if (i == 0) {
    channel_ = grpc::CreateChannel(replicas_[0]->address(), grpc::InsecureChannelCredentials());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EmulatedGateway::Metrics(int replica) {
  std::string output = replicas_.at(replica)->Output();
  std::string const kMarker = "metrics on http://127.0.0.1:";
  auto at = output.find(kMarker);
  int port = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(output.substr(at + kMarker.size(),
                                      output.find('/', at + kMarker.size()) - at - kMarker.size()),
                        &port)) {
    return absl::NotFoundError("the gateway logged no metrics address");
  }
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10);
  client.set_read_timeout(10);
  auto answer = client.Get("/metrics");
  if (!answer || answer->status != 200) return absl::UnavailableError("GET /metrics failed");
  return answer->body;
}

absl::StatusOr<google::protobuf::Struct> EmulatedGateway::Control(Emulator emulator,
                                                                  std::string const& path,
                                                                  std::string const& json) {
  return emulators_->Control(emulator, path, json);
}

std::vector<google::protobuf::Struct> EmulatedGateway::Received(Emulator emulator,
                                                                std::string const& prefix) {
  std::vector<google::protobuf::Struct> found;
  auto all = Control(emulator, "requests");
  if (!all.ok()) return found;
  for (auto const& item : all->fields().at("items").list_value().values()) {
    auto const& fields = item.struct_value().fields();
    if (absl::StartsWith(fields.at("path").string_value(), prefix)) {
      found.push_back(item.struct_value());
    }
  }
  return found;
}

int EmulatedGateway::StatusCount(Emulator emulator, int http_status) {
  return StatusCount(emulator, absl::StrCat(http_status));
}

int EmulatedGateway::StatusCount(Emulator emulator, std::string const& key) {
  auto stats = Control(emulator, "stats");
  if (!stats.ok()) return -1;
  auto const& counts = stats->fields().at("statusCounts").struct_value().fields();
  auto it = counts.find(key);
  return it == counts.end() ? 0 : static_cast<int>(it->second.number_value());
}

}  // namespace linkgateway::tests::testing
