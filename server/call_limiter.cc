#include "server/call_limiter.h"

#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::server {

absl::Status CallLimiter::Overloaded() const {
  absl::Status status = core::WithErrorInfo(
      absl::ResourceExhaustedError(absl::StrCat(
          "the gateway is serving its maximum of ", max_, " calls at once; retry later")),
      core::reason::kOverloaded, core::kGatewayDomain,
      {{"maxCallsInFlight", absl::StrCat(max_)}});
  // Calls finish within their deadlines; a second is a fair first wait.
  core::SetRetryDelay(status, absl::Seconds(1));
  return status;
}

}  // namespace linkgateway::server
