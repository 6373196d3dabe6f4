// What every call needs to be served: the providers' operations, the default
// deadline, and the caps on calls in flight (in total and per connection).
#ifndef LINKGATEWAY_SERVER_SERVING_H_
#define LINKGATEWAY_SERVER_SERVING_H_

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "server/call_limiter.h"
#include "server/connection_limiter.h"

namespace linkgateway::server {

struct Serving {
  adapters::ProviderRegistry const& providers;
  // Applied to calls that arrive without a deadline.
  absl::Duration default_deadline;
  CallLimiter& limiter;
  // Calls per caller connection.
  ConnectionLimiter& connections;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SERVING_H_
