// Collects configuration problems, each naming its key, so one start-up error
// lists them all. The config layer checks the gateway-wide keys; each
// provider's factory checks its own section with the same checker.
#ifndef LINKGATEWAY_CONFIG_CHECKER_H_
#define LINKGATEWAY_CONFIG_CHECKER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/duration.pb.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::config {

class Checker {
 public:
  // `config` decides whether plain http:// upstreams are allowed.
  explicit Checker(v1::GatewayConfig const& config) : config_(config) {}

  void Fail(absl::string_view key, absl::string_view rule);

  // An upstream base URL: https://, or http:// with upstream.allow_plain_http.
  void Url(absl::string_view key, absl::string_view url);
  // A duration that must be above zero.
  void Positive(absl::string_view key, google::protobuf::Duration const& d);
  // A duration that may be unset (zero: the default applies) but not negative.
  void NotNegative(absl::string_view key, google::protobuf::Duration const& d);
  // A secret that must resolve (its value never appears in the error).
  void Secret(absl::string_view key, v1::SecretRef const& ref);
  // A token bucket's rate and burst, both positive.
  void RateLimit(absl::string_view key, v1::RateLimit const& limit);

  // OK, or INVALID_ARGUMENT listing every problem.
  absl::Status Result() const;

 private:
  v1::GatewayConfig const& config_;
  std::vector<std::string> errors_;
};

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_CHECKER_H_
