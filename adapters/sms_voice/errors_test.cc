// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/sms_voice/errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using adapters::testing::VendorRow;

class SmsVoiceErrorsTest : public ::testing::TestWithParam<adapters::testing::VendorRow> {};

TEST_P(SmsVoiceErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  adapters::testing::ExpectMapping(Errors(), "sms-voice.amazonaws.com", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, SmsVoiceErrorsTest,
    ::testing::Values(
        adapters::testing::VendorRow{400, "ValidationException", Code::kInvalidArgument, R::kNone,
                                     "UPSTREAM_INVALID_ARGUMENT"},
        adapters::testing::VendorRow{400, "AccessDeniedException", Code::kPermissionDenied,
                                     R::kNone, "UPSTREAM_PERMISSION_DENIED"},
        adapters::testing::VendorRow{400, "ResourceNotFoundException", Code::kNotFound, R::kNone,
                                     "UPSTREAM_NOT_FOUND"},
        adapters::testing::VendorRow{400, "ConflictException", Code::kFailedPrecondition, R::kNone,
                                     "UPSTREAM_CONFLICT"},
        adapters::testing::VendorRow{400, "ThrottlingException", Code::kResourceExhausted,
                                     R::kThrottle, "UPSTREAM_THROTTLED"},
        adapters::testing::VendorRow{500, "InternalServerException", Code::kUnavailable,
                                     R::kTransient, "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{402, "ServiceQuotaExceededException", Code::kResourceExhausted,
                                     R::kNone, "UPSTREAM_QUOTA_EXCEEDED"},
        adapters::testing::VendorRow{400, "UnrecognizedClientException", Code::kUnauthenticated,
                                     R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{403, "InvalidClientTokenId", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{403, "InvalidSignatureException", Code::kUnauthenticated,
                                     R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{403, "SignatureDoesNotMatch", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{400, "IncompleteSignature", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{403, "MissingAuthenticationToken", Code::kUnauthenticated,
                                     R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{403, "MissingAuthenticationTokenException",
                                     Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_REJECTED"},
        adapters::testing::VendorRow{400, "ExpiredTokenException", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_EXPIRED"},
        adapters::testing::VendorRow{403, "ExpiredToken", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_CREDENTIALS_EXPIRED"},
        adapters::testing::VendorRow{400, "RequestExpired", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_REQUEST_EXPIRED"},
        adapters::testing::VendorRow{403, "OptInRequired", Code::kPermissionDenied, R::kNone,
                                     "UPSTREAM_PERMISSION_DENIED"},
        adapters::testing::VendorRow{400, "Throttling", Code::kResourceExhausted, R::kThrottle,
                                     "UPSTREAM_THROTTLED"},
        adapters::testing::VendorRow{400, "TooManyRequestsException", Code::kResourceExhausted,
                                     R::kThrottle, "UPSTREAM_THROTTLED"},
        adapters::testing::VendorRow{400, "RequestLimitExceeded", Code::kResourceExhausted,
                                     R::kThrottle, "UPSTREAM_THROTTLED"},
        adapters::testing::VendorRow{500, "InternalFailure", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{503, "ServiceUnavailable", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{408, "RequestTimeout", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{400, "UnknownOperationException", Code::kInternal, R::kNone,
                                     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        adapters::testing::VendorRow{400, "SerializationException", Code::kInternal, R::kNone,
                                     "UPSTREAM_REJECTED_GATEWAY_REQUEST"}));

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
