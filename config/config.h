// Loading and checking the gateway's configuration (GatewayConfig, text
// format). Problems are start-up errors that name the key at fault.
#ifndef LINKGATEWAY_CONFIG_CONFIG_H_
#define LINKGATEWAY_CONFIG_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::config {

using v1::GatewayConfig;

// Parses `text`; errors are "<source_name>:<line>:<column>: <what>", e.g. an
// unknown key is `... has no field named "foo"`.
absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view text,
                                          absl::string_view source_name);

// Reads and parses the file at `path`.
absl::StatusOr<GatewayConfig> LoadConfigFile(std::string const& path);

// Fills every unset value with its documented default (vendors' endpoints,
// timeouts, the SP-API usage plan).
void ApplyDefaults(GatewayConfig& config);

// Checks values (URLs, durations, limits, secret references) after defaults
// were applied. Secrets are resolved once so a missing one fails at start-up;
// their values never appear in the error.
absl::Status ValidateConfig(GatewayConfig const& config);

// The upstream operations a retry policy can be configured for.
std::vector<std::string> const& KnownOperations();

// The retry policy for `operation`, with defaults filled in.
v1::RetryPolicyConfig RetryPolicyFor(GatewayConfig const& config,
                                             std::string const& operation);

// google.protobuf.Duration -> absl::Duration.
absl::Duration ToDuration(google::protobuf::Duration const& d);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_CONFIG_H_
