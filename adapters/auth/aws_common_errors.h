// The AWS common errors: what every AWS API may answer about the caller's
// credentials, signature, clock and request rate, whatever its protocol.
// Each AWS provider's error table is its own rows followed by these.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_

#include <array>
#include <cstddef>

#include "adapters/errors/reasons.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::core {

inline constexpr VendorErrorRow kAwsCommonErrors[] = {
    {"InvalidClientTokenId", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsRejected},
    {"SignatureDoesNotMatch", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsRejected},
    {"IncompleteSignature", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationToken", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsRejected},
    {"ExpiredTokenException", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsExpired},
    {"ExpiredToken", absl::StatusCode::kUnauthenticated, RetryClass::kNone,
     reason::kUpstreamCredentialsExpired},
    // Clock skew: a fresh signature on retry can succeed.
    {"RequestExpired", absl::StatusCode::kUnavailable, RetryClass::kTransient,
     reason::kUpstreamRequestExpired},
    {"OptInRequired", absl::StatusCode::kPermissionDenied, RetryClass::kNone,
     reason::kUpstreamPermissionDenied},
    {"Throttling", absl::StatusCode::kResourceExhausted, RetryClass::kThrottle,
     reason::kUpstreamThrottled},
    {"RequestLimitExceeded", absl::StatusCode::kResourceExhausted, RetryClass::kThrottle,
     reason::kUpstreamThrottled},
    {"InternalFailure", absl::StatusCode::kUnavailable, RetryClass::kTransient,
     reason::kUpstreamUnavailable},
    {"ServiceUnavailable", absl::StatusCode::kUnavailable, RetryClass::kTransient,
     reason::kUpstreamUnavailable},
};

// A provider's `own` rows, then the common ones.
template <std::size_t N>
constexpr std::array<VendorErrorRow, N + std::size(kAwsCommonErrors)> WithAwsCommonErrors(
    VendorErrorRow const (&own)[N]) {
  std::array<VendorErrorRow, N + std::size(kAwsCommonErrors)> all{};
  for (std::size_t i = 0; i < N; ++i) all[i] = own[i];
  for (std::size_t i = 0; i < std::size(kAwsCommonErrors); ++i) all[N + i] = kAwsCommonErrors[i];
  return all;
}

}  // namespace linkgateway::core

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_COMMON_ERRORS_H_
