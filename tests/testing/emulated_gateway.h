// The real gateway binary wired to the HTTPS emulators, for integration
// tests: a fresh test CA, the emulators and the gateway on free loopback
// ports, and a config file pointing the gateway at them.
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

namespace linkgateway::testing {

// The LWA application the Amazon emulator knows.
inline constexpr char kLwaClientId[] = "amzn1.application-oa2-client.linkgatewaytest";
inline constexpr char kLwaClientSecret[] = "lwa-test-client-secret";

struct EmulatedGatewayOptions {
  // Extra arguments for amazon_emulator.py.
  std::vector<std::string> amazon_args;
  // Appended to the generated gateway configuration (text format).
  std::string extra_config;
  // Added inside its selling_partner { ... } block.
  std::string selling_partner_config;
  // The LWA client secret the gateway is configured with.
  std::string lwa_client_secret = kLwaClientSecret;
};

class EmulatedGateway {
 public:
  static absl::StatusOr<std::unique_ptr<EmulatedGateway>> Start(
      EmulatedGatewayOptions options = {});

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  ChildProcess& gateway() { return *gateway_; }
  ChildProcess& amazon() { return *amazon_; }
  std::string const& amazon_url() const { return amazon_url_; }

  // POSTs `json` to the Amazon emulator's /__emulator/<path> and returns the
  // parsed answer (arrays come back under the key "items").
  absl::StatusOr<google::protobuf::Struct> Control(std::string const& path,
                                                   std::string const& json = "{}");

 private:
  TestCertificates certs_;
  std::unique_ptr<ChildProcess> amazon_;
  std::unique_ptr<ChildProcess> gateway_;
  std::string amazon_url_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace linkgateway::testing

#endif  // LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_H_
