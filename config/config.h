// Loading and checking the gateway's configuration (GatewayConfig, text
// format). Problems are start-up errors that name the key at fault.
//
// This layer owns the gateway-wide keys. Each provider's section gets its
// defaults and checks from the provider's own folder (its factory), and the
// upstream and retry defaults live with the code that uses them (transport,
// policies); server/composition_root.cc runs them all.
#ifndef LINKGATEWAY_CONFIG_CONFIG_H_
#define LINKGATEWAY_CONFIG_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::config {

using v1::GatewayConfig;

// Parses `text`; errors are "<source_name>:<line>:<column>: <what>", e.g. an
// unknown key is `... has no field named "foo"`.
absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view text,
                                          absl::string_view source_name);

// Reads and parses the file at `path`.
absl::StatusOr<GatewayConfig> LoadConfigFile(std::string const& path);

// Fills unset gateway-wide values with their defaults (listen address,
// deadlines).
void ApplyDefaults(GatewayConfig& config);

// Checks the gateway-wide values after defaults were applied.
void ValidateConfig(GatewayConfig const& config, Checker& check);

// Default-filling helpers: set the value when it is unset (empty or zero).
void SetDefault(std::string* value, absl::string_view fallback);
void SetDefaultDuration(google::protobuf::Duration* d, int64_t seconds);

// google.protobuf.Duration -> absl::Duration.
absl::Duration ToDuration(google::protobuf::Duration const& d);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_CONFIG_H_
