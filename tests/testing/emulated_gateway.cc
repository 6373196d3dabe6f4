#include "tests/testing/emulated_gateway.h"

#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "httplib.h"

namespace linkgateway::testing {

absl::StatusOr<std::unique_ptr<EmulatedGateway>> EmulatedGateway::Start(
    EmulatedGatewayOptions options) {
  auto gateway = std::unique_ptr<EmulatedGateway>(new EmulatedGateway());
  auto certs = MakeTestCertificates();
  if (!certs.ok()) return certs.status();
  gateway->certs_ = *certs;

  std::vector<std::string> args = {"--cert", certs->server_cert, "--key", certs->server_key,
                                   "--lwa-client",
                                   absl::StrCat(kLwaClientId, ":", kLwaClientSecret)};
  args.insert(args.end(), options.amazon_args.begin(), options.amazon_args.end());
  auto amazon = StartEmulator("amazon_emulator.py", std::move(args));
  if (!amazon.ok()) return amazon.status();
  gateway->amazon_ = *std::move(amazon);

  args = {"--cert", certs->server_cert, "--key", certs->server_key, "--region", "us-east-1",
          "--key-id", kAwsKeyId, "--secret", kAwsSecret, "--session-token", kAwsSessionToken};
  args.insert(args.end(), options.sms_voice_args.begin(), options.sms_voice_args.end());
  auto sms_voice = StartEmulator("sms_voice_emulator.py", std::move(args));
  if (!sms_voice.ok()) return sms_voice.status();
  gateway->sms_voice_ = *std::move(sms_voice);

  args = {"--cert", certs->server_cert, "--key", certs->server_key, "--profile-key",
          kImiconnectKey};
  args.insert(args.end(), options.imiconnect_args.begin(), options.imiconnect_args.end());
  auto imiconnect = StartEmulator("imiconnect_emulator.py", std::move(args));
  if (!imiconnect.ok()) return imiconnect.status();
  gateway->imiconnect_ = *std::move(imiconnect);

  // Secrets reach the gateway the production way: environment and files.
  std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string secret_file = absl::StrCat(dir, "/lwa_secret.", gateway->amazon_->port());
  std::ofstream(secret_file) << options.lwa_client_secret << "\n";
  setenv("LINKGATEWAY_TEST_LWA_CLIENT_ID", kLwaClientId, 1);
  std::string aws_file = absl::StrCat(dir, "/aws_credentials.", gateway->amazon_->port());
  std::ofstream(aws_file) << "[gateway]\naws_access_key_id = " << kAwsKeyId
                          << "\naws_secret_access_key = " << options.aws_secret
                          << "\naws_session_token = " << options.aws_session_token << "\n";
  setenv("LINKGATEWAY_TEST_IMICONNECT_KEY", options.imiconnect_key.c_str(), 1);

  std::string url = absl::StrCat("https://", gateway->amazon_->address());
  std::string config = absl::StrCat(
      "upstream { ca_bundle_file: \"", certs->ca_cert, "\" }\n",
      "dash_replenishment { endpoint: \"", url, "\" }\n",
      "login_with_amazon {\n  token_endpoint: \"", url, "/auth/o2/token\"\n",
      "  client_id { env: \"LINKGATEWAY_TEST_LWA_CLIENT_ID\" }\n",
      "  client_secret { file: \"", secret_file, "\" }\n}\n",
      "selling_partner {\n  north_america_endpoint: \"", url, "\"\n  europe_endpoint: \"", url,
      "\"\n  far_east_endpoint: \"", url, "\"\n", options.selling_partner_config, "}\n",
      "sms_voice {\n  region: \"us-east-1\"\n  endpoint: \"https://", gateway->sms_voice_->address(),
      "\"\n  credentials { file { path: \"", aws_file, "\" profile: \"gateway\" } }\n}\n",
      "imiconnect {\n  base_url: \"https://", gateway->imiconnect_->address(), "\"\n",
      "  profile_key { env: \"LINKGATEWAY_TEST_IMICONNECT_KEY\" }\n}\n", options.extra_config);
  std::string config_file = absl::StrCat(dir, "/gateway.", gateway->amazon_->port(), ".textproto");
  std::ofstream(config_file) << config;

  auto process = StartGateway({"--config=" + config_file});
  if (!process.ok()) return process.status();
  gateway->gateway_ = *std::move(process);
  gateway->channel_ =
      grpc::CreateChannel(gateway->gateway_->address(), grpc::InsecureChannelCredentials());
  return gateway;
}

absl::StatusOr<google::protobuf::Struct> EmulatedGateway::Control(Emulator emulator,
                                                                  std::string const& path,
                                                                  std::string const& json) {
  ChildProcess const& process = emulator == Emulator::kAmazon     ? *amazon_
                                : emulator == Emulator::kSmsVoice ? *sms_voice_
                                                                  : *imiconnect_;
  httplib::SSLClient client("127.0.0.1", process.port());
  client.set_ca_cert_path(certs_.ca_cert.c_str());
  client.enable_server_certificate_verification(true);
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
  auto stats = Control(emulator, "stats");
  if (!stats.ok()) return -1;
  auto const& counts = stats->fields().at("statusCounts").struct_value().fields();
  auto it = counts.find(absl::StrCat(http_status));
  return it == counts.end() ? 0 : static_cast<int>(it->second.number_value());
}

}  // namespace linkgateway::testing
