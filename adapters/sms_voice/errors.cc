#include "adapters/sms_voice/errors.h"

#include "adapters/auth/aws_common_errors.h"
#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
namespace reason = adapters::errors::reason;

// SMS and Voice v2: the operation's modeled errors (botocore model) and the
// JSON protocol's spellings of the errors about the gateway's credentials,
// then the AWS common errors, by error name.
constexpr adapters::errors::VendorErrorRow kOwnRows[] = {
    {"ValidationException", Code::kInvalidArgument, R::kNone,
     adapters::errors::reason::kUpstreamInvalidArgument},
    {"AccessDeniedException", Code::kPermissionDenied, R::kNone,
     adapters::errors::reason::kUpstreamPermissionDenied},
    {"ResourceNotFoundException", Code::kNotFound, R::kNone,
     adapters::errors::reason::kUpstreamNotFound},
    // Not retryable in the model: the resource's state must change first.
    {"ConflictException", Code::kFailedPrecondition, R::kNone,
     adapters::errors::reason::kUpstreamConflict},
    {"ThrottlingException", Code::kResourceExhausted, R::kThrottle,
     adapters::errors::reason::kUpstreamThrottled},
    {"InternalServerException", Code::kUnavailable, R::kTransient,
     adapters::errors::reason::kUpstreamUnavailable},
    {"ServiceQuotaExceededException", Code::kResourceExhausted, R::kNone,
     adapters::errors::reason::kUpstreamQuotaExceeded},
    // The JSON protocol's names for errors about the gateway's credentials.
    {"UnrecognizedClientException", Code::kUnauthenticated, R::kNone,
     adapters::errors::reason::kUpstreamCredentialsRejected},
    {"InvalidSignatureException", Code::kUnauthenticated, R::kNone,
     adapters::errors::reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationTokenException", Code::kUnauthenticated, R::kNone,
     adapters::errors::reason::kUpstreamCredentialsRejected},
    {"TooManyRequestsException", Code::kResourceExhausted, R::kThrottle,
     adapters::errors::reason::kUpstreamThrottled},
    {"RequestTimeout", Code::kUnavailable, R::kTransient,
     adapters::errors::reason::kUpstreamUnavailable},
    {"UnknownOperationException", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
    {"SerializationException", Code::kInternal, R::kNone,
     adapters::errors::reason::kUpstreamRejectedGatewayRequest},
};

constexpr auto kRows = adapters::auth::WithAwsCommonErrors(kOwnRows);

}  // namespace

adapters::errors::ProviderErrors const& Errors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"sms-voice.amazonaws.com",
                                                            "SMS and Voice v2", kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::sms_voice
