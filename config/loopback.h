// Whether an address stays on this machine: names are resolved and every
// address they resolve to must be a loopback address, so neither a name that
// resolves elsewhere nor a text trick ("127.evil.example") passes.
#ifndef LINKGATEWAY_CONFIG_LOOPBACK_H_
#define LINKGATEWAY_CONFIG_LOOPBACK_H_

#include <string>

#include "absl/status/statusor.h"

namespace linkgateway::config {

// The host of "host:port" or "[v6]:port".
std::string HostOf(std::string const& address);

// True when every address `host` resolves to (getaddrinfo) is loopback
// (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104); false when one is not, e.g.
// "0.0.0.0"; UNAVAILABLE when the name does not resolve.
absl::StatusOr<bool> IsLoopbackHost(std::string const& host);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_LOOPBACK_H_
