// Secrets named by a SecretRef: an environment variable or a file.
#ifndef LINKGATEWAY_CONFIG_SECRETS_H_
#define LINKGATEWAY_CONFIG_SECRETS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::config {

// The secret's value. Errors name `key` (the config key) and the variable or
// file, never the value. An empty secret is an error.
absl::StatusOr<std::string> ResolveSecret(v1::SecretRef const& ref,
                                          absl::string_view key);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_SECRETS_H_
