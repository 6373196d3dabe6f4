#include "adapters/auth/lwa_errors.h"

#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::auth {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
namespace reason = adapters::errors::reason;

// Login with Amazon token endpoint: the `error` field (RFC 6749 section 5.2 and
// the SP-API SDK's LWA error codes). Its credentials are the gateway's.
constexpr adapters::errors::VendorErrorRow kRows[] = {
    {"invalid_client", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsRejected},
    {"unauthorized_client", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsRejected},
    {"invalid_grant", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsRejected},
    {"invalid_scope", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"access_denied", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"invalid_request", Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
    {"unsupported_grant_type", Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
    {"server_error", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"temporarily_unavailable", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
};

}  // namespace

adapters::errors::ProviderErrors const& LwaErrors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"api.amazon.com", "Login with Amazon",
                                                            kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::auth
