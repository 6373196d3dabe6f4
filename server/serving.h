// What every service needs to serve a call: the providers' operations, the
// default deadline, and the cap on calls in flight.
#ifndef LINKGATEWAY_SERVER_SERVING_H_
#define LINKGATEWAY_SERVER_SERVING_H_

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "server/call_limiter.h"

namespace linkgateway::server {

struct Serving {
  adapters::ProviderRegistry const& providers;
  // Applied to calls that arrive without a deadline.
  absl::Duration default_deadline;
  CallLimiter& limiter;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SERVING_H_
