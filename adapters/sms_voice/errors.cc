#include "adapters/sms_voice/errors.h"

#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
namespace reason = adapters::errors::reason;

// SMS and Voice v2: the operation's modeled errors (botocore model) and the AWS
// common errors about the gateway's credentials and signature, by error name.
constexpr adapters::errors::VendorErrorRow kRows[] = {
    {"ValidationException", Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    {"AccessDeniedException", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"ResourceNotFoundException", Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    // Not retryable in the model: the resource's state must change first.
    {"ConflictException", Code::kFailedPrecondition, R::kNone, reason::kUpstreamConflict},
    {"ThrottlingException", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {"InternalServerException", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"ServiceQuotaExceededException", Code::kResourceExhausted, R::kNone,
     reason::kUpstreamQuotaExceeded},
    // AWS common errors (the gateway's credentials and signature).
    {"UnrecognizedClientException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"InvalidClientTokenId", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"InvalidSignatureException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"SignatureDoesNotMatch", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"IncompleteSignature", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationToken", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationTokenException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"ExpiredTokenException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsExpired},
    {"ExpiredToken", Code::kUnauthenticated, R::kNone, reason::kUpstreamCredentialsExpired},
    // Clock skew: a fresh signature on retry can succeed.
    {"RequestExpired", Code::kUnavailable, R::kTransient, reason::kUpstreamRequestExpired},
    {"OptInRequired", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"Throttling", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {"TooManyRequestsException", Code::kResourceExhausted, R::kThrottle,
     reason::kUpstreamThrottled},
    {"RequestLimitExceeded", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {"InternalFailure", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"ServiceUnavailable", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"RequestTimeout", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"UnknownOperationException", Code::kInternal, R::kNone,
     reason::kUpstreamRejectedGatewayRequest},
    {"SerializationException", Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
};

}  // namespace

adapters::errors::ProviderErrors const& Errors() {
  static constexpr adapters::errors::ProviderErrors kErrors{"sms-voice.amazonaws.com",
                                                            "SMS and Voice v2", kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::sms_voice
