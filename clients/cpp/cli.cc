// linkgateway command-line client: every RPC, requests and results as JSON
// (proto3 JSON mapping, like grpcurl -d).
//
//   bazel run //clients/cpp:linkgateway_cli -- [--target=HOST:PORT] VERB 'JSON'
//
// VERB: delete-registration, get-subscription-info, delete-subscription,
// delete-app-profile, get-profile-transaction. JSON is the request ('-' reads
// it from stdin). Prints the response as JSON and exits 0; on error prints the
// code, reason, upstream request id and details to stderr and exits with the
// gRPC code (1-16). Usage errors exit 64.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "clients/cpp/client.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "The gateway's host:port.");
ABSL_FLAG(bool, tls, false, "Use TLS to the gateway.");
ABSL_FLAG(std::string, ca_file, "", "PEM roots for --tls (default: the system's).");
ABSL_FLAG(std::string, cert_file, "", "PEM client certificate for mTLS (with --tls).");
ABSL_FLAG(std::string, key_file, "", "PEM private key of --cert_file.");
ABSL_FLAG(std::string, token_file, "",
          "A file holding a bearer token, sent as `authorization: Bearer` (a file, so the "
          "token stays out of command lines and shell history).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "Deadline of the call.");

namespace {

using linkgateway::client::Client;
namespace v1 = linkgateway::v1;

constexpr int kUsage = 64;

template <typename Request, typename Response>
int Run(std::string const& json, absl::StatusOr<Response> (Client::*method)(Request const&,
                                                                             absl::Duration),
        Client& client) {
  Request request;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(json, &request); !parsed.ok()) {
    std::cerr << "invalid " << Request::descriptor()->full_name()
              << " JSON: " << parsed.message() << "\n";
    return kUsage;
  }
  absl::StatusOr<Response> response = (client.*method)(request, absl::GetFlag(FLAGS_timeout));
  if (!response.ok()) {
    std::cerr << "error: " << linkgateway::client::Explain(response.status()).ToString();
    return static_cast<int>(response.status().code());
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(*response, &out, options);
  std::cout << out;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "linkgateway_cli [--target=HOST:PORT] VERB 'REQUEST JSON'\n"
      "VERB: delete-registration | get-subscription-info | delete-subscription |\n"
      "      delete-app-profile | get-profile-transaction");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return kUsage;
  }
  std::string verb = args[1];
  std::string json = args[2];
  if (json == "-") json.assign(std::istreambuf_iterator<char>(std::cin), {});

  linkgateway::client::ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.tls = absl::GetFlag(FLAGS_tls);
  options.ca_file = absl::GetFlag(FLAGS_ca_file);
  options.cert_file = absl::GetFlag(FLAGS_cert_file);
  options.key_file = absl::GetFlag(FLAGS_key_file);
  if (std::string path = absl::GetFlag(FLAGS_token_file); !path.empty()) {
    std::ifstream in(path);
    if (!in || !std::getline(in, options.bearer_token) || options.bearer_token.empty()) {
      std::cerr << "linkgateway_cli: cannot read a token from " << path << "\n";
      return 64;
    }
  }
  auto client = Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status().message() << "\n";
    return kUsage;
  }
  Client& c = **client;
  if (verb == "delete-registration") return Run(json, &Client::DeleteRegistration, c);
  if (verb == "get-subscription-info") return Run(json, &Client::GetSubscriptionInfo, c);
  if (verb == "delete-subscription") return Run(json, &Client::DeleteSubscription, c);
  if (verb == "delete-app-profile") return Run(json, &Client::DeleteAppProfile, c);
  if (verb == "get-profile-transaction") return Run(json, &Client::GetProfileTransaction, c);
  std::cerr << "unknown verb " << verb << "\n" << absl::ProgramUsageMessage() << "\n";
  return kUsage;
}
