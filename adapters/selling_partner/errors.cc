#include "adapters/selling_partner/errors.h"

#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
namespace reason = adapters::errors::reason;

// Selling Partner API errors, by errors[0].code.
constexpr adapters::errors::VendorErrorRow kRows[] = {
    {"InvalidInput", Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    {"Unauthorized", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"MissingAuthenticationToken", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"NotFound", Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    {"Conflict", Code::kFailedPrecondition, R::kNone, reason::kUpstreamConflict},
    {"QuotaExceeded", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {"InternalFailure", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"ServiceUnavailable", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
};

}  // namespace

adapters::errors::ProviderErrors const& Errors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"sellingpartnerapi.amazon.com",
                                                            "Selling Partner API", kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::selling_partner
