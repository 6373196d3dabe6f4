#include "adapters/sms_voice/errors.h"

#include "adapters/auth/aws_common_errors.h"
#include "adapters/errors/reasons.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using Code = absl::StatusCode;
using R = core::RetryClass;
namespace reason = core::reason;

// SMS and Voice v2: the operation's modeled errors (botocore model) and the
// JSON protocol's spellings of the errors about the gateway's credentials,
// then the AWS common errors, by error name.
constexpr core::VendorErrorRow kOwnRows[] = {
    {"ValidationException", Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    {"AccessDeniedException", Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {"ResourceNotFoundException", Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    // Not retryable in the model: the resource's state must change first.
    {"ConflictException", Code::kFailedPrecondition, R::kNone, reason::kUpstreamConflict},
    {"ThrottlingException", Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {"InternalServerException", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"ServiceQuotaExceededException", Code::kResourceExhausted, R::kNone,
     reason::kUpstreamQuotaExceeded},
    // The JSON protocol's names for errors about the gateway's credentials.
    {"UnrecognizedClientException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"InvalidSignatureException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"MissingAuthenticationTokenException", Code::kUnauthenticated, R::kNone,
     reason::kUpstreamCredentialsRejected},
    {"TooManyRequestsException", Code::kResourceExhausted, R::kThrottle,
     reason::kUpstreamThrottled},
    {"RequestTimeout", Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {"UnknownOperationException", Code::kInternal, R::kNone,
     reason::kUpstreamRejectedGatewayRequest},
    {"SerializationException", Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
};

constexpr auto kRows = core::WithAwsCommonErrors(kOwnRows);

}  // namespace

core::ProviderErrors const& Errors() {
  static constexpr core::ProviderErrors kErrors{"sms-voice.amazonaws.com", "SMS and Voice v2",
                                                kRows};
  return kErrors;
}

}  // namespace linkgateway::adapters::sms_voice
