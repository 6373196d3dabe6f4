#include "adapters/imiconnect/errors.h"

#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
namespace reason = adapters::errors::reason;

// IMIconnect response codes; they may ride on HTTP 200.
constexpr adapters::errors::VendorErrorRow kRows[] = {
    {"7000", Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
    {"7001", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsRejected},
    {"7002", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsMissing},
    {"7003", Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    {"7006", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"7010", Code::kPermissionDenied, R::kNone, reason::kUpstreamSourceIpNotAllowed},
    {"7014", Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    {"7018", Code::kFailedPrecondition, R::kNone, reason::kUpstreamProfileNotLinked},
    {"7020", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
};

}  // namespace

adapters::errors::ProviderErrors const& Errors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"imiconnect.io", "IMIconnect", kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::imiconnect
