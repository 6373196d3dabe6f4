// Caller-side limits (GatewayConfig.limits) and the open-file budget they
// share with upstream connections. README "Limits and overload".
#ifndef LINKGATEWAY_SERVER_LIMITS_H_
#define LINKGATEWAY_SERVER_LIMITS_H_

#include <cstdint>

#include "config/config.h"

namespace linkgateway::server {

// Descriptors kept for the gateway itself (listener, event loops, files,
// logs) beyond caller and upstream connections.
inline constexpr int kReservedDescriptors = 128;

struct OpenFileLimit {
  std::uint64_t before = 0;  // the soft limit the process started with
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (so descriptor floods need
// far more connections) and says what it was and is.
OpenFileLimit RaiseOpenFileLimit();

// The soft RLIMIT_NOFILE now.
std::uint64_t CurrentOpenFileLimit();

// Fills unset limits (and upstream.max_total_connections) with defaults that
// fit `open_files` descriptors.
void ApplyLimitDefaults(config::GatewayConfig& config, std::uint64_t open_files);

// Checks them: positive, and caller plus upstream connections plus the
// reserve within `open_files`.
void CheckLimits(config::GatewayConfig const& config, std::uint64_t open_files,
                 config::Checker& check);

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_LIMITS_H_
