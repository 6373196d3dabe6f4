// The AWS common errors: what every AWS API may answer about the caller's
// credentials, signature, clock and request rate, whatever its protocol.
// Each AWS provider's error table is its own rows followed by these.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_

#include <array>
#include <cstddef>

#include "adapters/errors/reasons.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::auth {

inline constexpr adapters::errors::VendorErrorRow kAwsCommonErrors[] = {
    {"InvalidClientTokenId", absl::StatusCode::kUnauthenticated,
     adapters::errors::RetryClass::kNone, adapters::errors::reason::kUpstreamCredentialsRejected},
    {"SignatureDoesNotMatch", absl::StatusCode::kUnauthenticated,
     adapters::errors::RetryClass::kNone, adapters::errors::reason::kUpstreamCredentialsRejected},
    {"IncompleteSignature", absl::StatusCode::kUnauthenticated, adapters::errors::RetryClass::kNone,
     adapters::errors::reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationToken", absl::StatusCode::kUnauthenticated,
     adapters::errors::RetryClass::kNone, adapters::errors::reason::kUpstreamCredentialsRejected},
    {"ExpiredTokenException", absl::StatusCode::kUnauthenticated,
     adapters::errors::RetryClass::kNone, adapters::errors::reason::kUpstreamCredentialsExpired},
    {"ExpiredToken", absl::StatusCode::kUnauthenticated, adapters::errors::RetryClass::kNone,
     adapters::errors::reason::kUpstreamCredentialsExpired},
    // Clock skew: a fresh signature on retry can succeed.
    {"RequestExpired", absl::StatusCode::kUnavailable, adapters::errors::RetryClass::kTransient,
     adapters::errors::reason::kUpstreamRequestExpired},
    {"OptInRequired", absl::StatusCode::kPermissionDenied, adapters::errors::RetryClass::kNone,
     adapters::errors::reason::kUpstreamPermissionDenied},
    {"Throttling", absl::StatusCode::kResourceExhausted, adapters::errors::RetryClass::kThrottle,
     adapters::errors::reason::kUpstreamThrottled},
    {"RequestLimitExceeded", absl::StatusCode::kResourceExhausted,
     adapters::errors::RetryClass::kThrottle, adapters::errors::reason::kUpstreamThrottled},
    {"InternalFailure", absl::StatusCode::kUnavailable, adapters::errors::RetryClass::kTransient,
     adapters::errors::reason::kUpstreamUnavailable},
    {"ServiceUnavailable", absl::StatusCode::kUnavailable, adapters::errors::RetryClass::kTransient,
     adapters::errors::reason::kUpstreamUnavailable},
};

// A provider's `own` rows, then the common ones.
template <std::size_t N>
constexpr std::array<adapters::errors::VendorErrorRow, N + std::size(kAwsCommonErrors)>
WithAwsCommonErrors(adapters::errors::VendorErrorRow const (&own)[N]) {
  std::array<adapters::errors::VendorErrorRow, N + std::size(kAwsCommonErrors)> all{};
  for (std::size_t i = 0; i < N; ++i) all[i] = own[i];
  for (std::size_t i = 0; i < std::size(kAwsCommonErrors); ++i) all[N + i] = kAwsCommonErrors[i];
  return all;
}

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_
