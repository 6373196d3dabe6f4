#include "tests/testing/emulated_gateway.h"

#include <cstdlib>
#include <fstream>
#include <utility>

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
  gateway->amazon_url_ = absl::StrCat("https://", gateway->amazon_->address());

  // Secrets reach the gateway the production way: environment and files.
  std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string secret_file = absl::StrCat(dir, "/lwa_secret.", gateway->amazon_->port());
  std::ofstream(secret_file) << options.lwa_client_secret << "\n";
  setenv("LINKGATEWAY_TEST_LWA_CLIENT_ID", kLwaClientId, 1);

  std::string const& url = gateway->amazon_url_;
  std::string config = absl::StrCat(
      "upstream { ca_bundle_file: \"", certs->ca_cert, "\" }\n",
      "dash_replenishment { endpoint: \"", url, "\" }\n",
      "login_with_amazon {\n  token_endpoint: \"", url, "/auth/o2/token\"\n",
      "  client_id { env: \"LINKGATEWAY_TEST_LWA_CLIENT_ID\" }\n",
      "  client_secret { file: \"", secret_file, "\" }\n}\n",
      "selling_partner {\n  north_america_endpoint: \"", url, "\"\n  europe_endpoint: \"", url,
      "\"\n  far_east_endpoint: \"", url, "\"\n", options.selling_partner_config, "}\n",
      options.extra_config);
  std::string config_file = absl::StrCat(dir, "/gateway.", gateway->amazon_->port(), ".textproto");
  std::ofstream(config_file) << config;

  auto process = StartGateway({"--config=" + config_file});
  if (!process.ok()) return process.status();
  gateway->gateway_ = *std::move(process);
  gateway->channel_ =
      grpc::CreateChannel(gateway->gateway_->address(), grpc::InsecureChannelCredentials());
  return gateway;
}

absl::StatusOr<google::protobuf::Struct> EmulatedGateway::Control(std::string const& path,
                                                                  std::string const& json) {
  httplib::SSLClient client("127.0.0.1", amazon_->port());
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

}  // namespace linkgateway::testing
