// linkgateway-health: asks a gRPC server for grpc.health.v1.Health/Check and
// exits 0 only when the answer is SERVING, for container health checks and
// Kubernetes exec probes (Kubernetes' own gRPC probe has no TLS).
//
//   linkgateway-health --address=127.0.0.1:50051 [--service=NAME]
//       [--ca_file=ca.pem [--server_name=NAME] [--cert_file=c.pem --key_file=c.key]]
//       [--token_file=FILE] [--timeout=2s]
//
// Exit codes: 0 SERVING; 1 anything else (NOT_SERVING, an unknown service, no
// answer within the timeout, a refused call); 2 a usage or file error.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "host:port of the gRPC server.");
ABSL_FLAG(std::string, service, "",
          "The health service name; empty asks about the server as a whole.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(2), "Deadline of the check.");
ABSL_FLAG(std::string, ca_file, "", "PEM CA bundle: speak TLS and verify the server with it.");
ABSL_FLAG(std::string, server_name, "",
          "The name the server's certificate must carry, when it is not the address's host.");
ABSL_FLAG(std::string, cert_file, "", "PEM client certificate (mTLS), with --key_file.");
ABSL_FLAG(std::string, key_file, "", "PEM key of --cert_file.");
ABSL_FLAG(std::string, token_file, "",
          "A file holding a bearer token sent as `authorization: Bearer <token>`.");

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr int kServing = 0;
constexpr int kNotServing = 1;
constexpr int kUsage = 2;

// The file's text, or false when it cannot be read.
bool ReadFile(std::string const& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream out;
  out << in.rdbuf();
  text = out.str();
  return static_cast<bool>(in) || in.eof();
}

// Reads the file named by a flag; prints why not and returns false.
bool ReadFlagFile(char const* flag, std::string const& path, std::string& text) {
  if (path.empty()) return true;
  if (ReadFile(path, text)) return true;
  std::fprintf(stderr, "linkgateway-health: --%s: cannot read %s\n", flag, path.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Exits 0 when a gRPC server's grpc.health.v1.Health/Check answers SERVING.");
  absl::ParseCommandLine(argc, argv);

  std::string ca, cert, key, token;
  if (!ReadFlagFile("ca_file", absl::GetFlag(FLAGS_ca_file), ca) ||
      !ReadFlagFile("cert_file", absl::GetFlag(FLAGS_cert_file), cert) ||
      !ReadFlagFile("key_file", absl::GetFlag(FLAGS_key_file), key) ||
      !ReadFlagFile("token_file", absl::GetFlag(FLAGS_token_file), token)) {
    return kUsage;
  }
  if (cert.empty() != key.empty()) {
    std::fprintf(stderr, "linkgateway-health: --cert_file and --key_file go together\n");
    return kUsage;
  }
  if (!cert.empty() && ca.empty()) {
    std::fprintf(stderr, "linkgateway-health: a client certificate needs --ca_file (TLS)\n");
    return kUsage;
  }
  token = std::string(absl::StripAsciiWhitespace(token));
  if (!absl::GetFlag(FLAGS_token_file).empty() && token.empty()) {
    std::fprintf(stderr, "linkgateway-health: --token_file: %s is empty\n",
                 absl::GetFlag(FLAGS_token_file).c_str());
    return kUsage;
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
  if (ca.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ca;
    tls.pem_cert_chain = cert;
    tls.pem_private_key = key;
    credentials = grpc::SslCredentials(tls);
    if (std::string name = absl::GetFlag(FLAGS_server_name); !name.empty()) {
      args.SetSslTargetNameOverride(name);
    }
  }
  // One attempt: a probe that retries would hide a listener that fails.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_address), credentials, args);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  context.set_wait_for_ready(true);  // a connection being set up is not a failure yet
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  HealthCheckResponse response;
  grpc::Status status = Health::NewStub(channel)->Check(&context, request, &response);
  std::string const service =
      request.service().empty() ? std::string("the server") : request.service();
  if (!status.ok()) {
    std::printf(
        "%s: %s: %s\n", service.c_str(),
        absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
        status.error_message().c_str());
    return kNotServing;
  }
  std::printf("%s: %s\n", service.c_str(),
              HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  return response.status() == HealthCheckResponse::SERVING ? kServing : kNotServing;
}
