// AWS STS's error vocabulary: the modeled errors of AssumeRole and
// AssumeRoleWithWebIdentity (botocore's sts model), then the AWS common
// errors, by error code. Every one is about the gateway's own credentials or
// configuration, never about the caller's request.
#include "adapters/auth/aws_common_errors.h"
#include "adapters/auth/sts_client.h"
#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::auth {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;

constexpr adapters::errors::VendorErrorRow kOwnRows[] = {
    // The role's trust policy or the caller's permissions refuse it.
    {"AccessDenied", Code::kPermissionDenied, R::kNone,
     adapters::errors::reason::kUpstreamPermissionDenied},
    {"IDPRejectedClaim", Code::kPermissionDenied, R::kNone,
     adapters::errors::reason::kUpstreamPermissionDenied},
    {"RegionDisabledException", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamPreconditionFailed},
    // The source credentials or the web identity token.
    {"InvalidIdentityToken", Code::kUnauthenticated, R::kNone,
     adapters::errors::reason::kUpstreamCredentialsRejected},
    // What the configuration asked for (role ARN, duration, session name).
    {"ValidationError", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"InvalidParameterValue", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"MalformedPolicyDocument", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"PackedPolicyTooLarge", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    // The gateway built a request STS does not understand (a bug).
    {"InvalidAction", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"MissingAction", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"MissingParameter", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"InvalidQueryParameter", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    // Passing conditions: a later attempt can succeed.
    {"IDPCommunicationError", Code::kUnavailable, R::kTransient,
     adapters::errors::reason::kUpstreamUnavailable},
};

constexpr auto kRows = WithAwsCommonErrors(kOwnRows);

}  // namespace

adapters::errors::ProviderErrors const& StsErrors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"sts.amazonaws.com", "AWS STS", kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::auth
