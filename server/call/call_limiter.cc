#include "server/call/call_limiter.h"

#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::server::call {

absl::Status CallLimiter::Overloaded() const {
  absl::Status status = adapters::errors::WithErrorInfo(
      absl::ResourceExhaustedError(absl::StrCat("the gateway is serving its maximum of ", max_,
                                                " calls at once; retry later")),
      adapters::errors::reason::kOverloaded, adapters::errors::kGatewayDomain,
      {{"maxCallsInFlight", absl::StrCat(max_)}});
  // Calls finish within their deadlines; a second is a fair first wait.
  adapters::errors::SetRetryDelay(status, absl::Seconds(1));
  return status;
}

}  // namespace linkgateway::server::call
