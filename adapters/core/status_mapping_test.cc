// Every row of the mapping tables, written out again here on purpose: the
// test states the intended mapping independently of the table it checks.
#include "adapters/core/status_mapping.h"

#include <string>

#include "adapters/core/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::core {
namespace {

using Code = absl::StatusCode;
using ::testing::HasSubstr;

struct Row {
  Provider provider;
  int http_status;
  std::string vendor_code;
  Code code;
  RetryClass retry;
  std::string reason;
};

class MapUpstreamErrorTest : public ::testing::TestWithParam<Row> {};

TEST_P(MapUpstreamErrorTest, MapsCodeRetryClassAndReason) {
  Row const& row = GetParam();
  UpstreamError error;
  error.provider = row.provider;
  error.http_status = row.http_status;
  error.vendor_code = row.vendor_code;
  error.message = "upstream text";
  absl::Status status = MapUpstreamError(error);
  EXPECT_EQ(status.code(), row.code);
  EXPECT_EQ(RetryClassOf(status), row.retry);
  EXPECT_FALSE(ProvablyNotSent(status));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), row.reason);
  EXPECT_EQ(info.domain(), Domain(row.provider));
  EXPECT_THAT(status.message(), HasSubstr("upstream text"));
}

constexpr auto kSms = Provider::kSmsVoice;
constexpr auto kSp = Provider::kSellingPartner;
constexpr auto kLwa = Provider::kLoginWithAmazon;
constexpr auto kImi = Provider::kImiconnect;
constexpr auto kDrs = Provider::kDashReplenishment;
constexpr auto kNone = RetryClass::kNone;
constexpr auto kTransient = RetryClass::kTransient;
constexpr auto kThrottle = RetryClass::kThrottle;

INSTANTIATE_TEST_SUITE_P(
    VendorCodes, MapUpstreamErrorTest,
    ::testing::Values(
        // AWS sends 400 for all of these: the name decides.
        Row{kSms, 400, "ValidationException", Code::kInvalidArgument, kNone,
            "UPSTREAM_INVALID_ARGUMENT"},
        Row{kSms, 400, "AccessDeniedException", Code::kPermissionDenied, kNone,
            "UPSTREAM_PERMISSION_DENIED"},
        Row{kSms, 400, "ResourceNotFoundException", Code::kNotFound, kNone, "UPSTREAM_NOT_FOUND"},
        Row{kSms, 400, "ConflictException", Code::kFailedPrecondition, kNone,
            "UPSTREAM_CONFLICT"},
        Row{kSms, 400, "ThrottlingException", Code::kResourceExhausted, kThrottle,
            "UPSTREAM_THROTTLED"},
        Row{kSms, 500, "InternalServerException", Code::kUnavailable, kTransient,
            "UPSTREAM_UNAVAILABLE"},
        Row{kSms, 402, "ServiceQuotaExceededException", Code::kResourceExhausted, kNone,
            "UPSTREAM_QUOTA_EXCEEDED"},
        Row{kSms, 400, "UnrecognizedClientException", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 403, "InvalidClientTokenId", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 403, "InvalidSignatureException", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 403, "SignatureDoesNotMatch", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 400, "IncompleteSignature", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 403, "MissingAuthenticationToken", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 403, "MissingAuthenticationTokenException", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSms, 400, "ExpiredTokenException", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_EXPIRED"},
        Row{kSms, 403, "ExpiredToken", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_EXPIRED"},
        Row{kSms, 400, "RequestExpired", Code::kUnavailable, kTransient,
            "UPSTREAM_REQUEST_EXPIRED"},
        Row{kSms, 403, "OptInRequired", Code::kPermissionDenied, kNone,
            "UPSTREAM_PERMISSION_DENIED"},
        Row{kSms, 400, "Throttling", Code::kResourceExhausted, kThrottle, "UPSTREAM_THROTTLED"},
        Row{kSms, 400, "TooManyRequestsException", Code::kResourceExhausted, kThrottle,
            "UPSTREAM_THROTTLED"},
        Row{kSms, 400, "RequestLimitExceeded", Code::kResourceExhausted, kThrottle,
            "UPSTREAM_THROTTLED"},
        Row{kSms, 500, "InternalFailure", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kSms, 503, "ServiceUnavailable", Code::kUnavailable, kTransient,
            "UPSTREAM_UNAVAILABLE"},
        Row{kSms, 408, "RequestTimeout", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kSms, 400, "UnknownOperationException", Code::kInternal, kNone,
            "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kSms, 400, "SerializationException", Code::kInternal, kNone,
            "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kSp, 400, "InvalidInput", Code::kInvalidArgument, kNone, "UPSTREAM_INVALID_ARGUMENT"},
        Row{kSp, 403, "Unauthorized", Code::kPermissionDenied, kNone,
            "UPSTREAM_PERMISSION_DENIED"},
        Row{kSp, 403, "MissingAuthenticationToken", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kSp, 404, "NotFound", Code::kNotFound, kNone, "UPSTREAM_NOT_FOUND"},
        Row{kSp, 409, "Conflict", Code::kFailedPrecondition, kNone, "UPSTREAM_CONFLICT"},
        Row{kSp, 429, "QuotaExceeded", Code::kResourceExhausted, kThrottle, "UPSTREAM_THROTTLED"},
        Row{kSp, 500, "InternalFailure", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kSp, 503, "ServiceUnavailable", Code::kUnavailable, kTransient,
            "UPSTREAM_UNAVAILABLE"},
        Row{kLwa, 401, "invalid_client", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kLwa, 400, "unauthorized_client", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kLwa, 400, "invalid_grant", Code::kUnauthenticated, kNone,
            "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kLwa, 400, "invalid_scope", Code::kPermissionDenied, kNone,
            "UPSTREAM_PERMISSION_DENIED"},
        Row{kLwa, 400, "access_denied", Code::kPermissionDenied, kNone,
            "UPSTREAM_PERMISSION_DENIED"},
        Row{kLwa, 400, "invalid_request", Code::kInternal, kNone,
            "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kLwa, 400, "unsupported_grant_type", Code::kInternal, kNone,
            "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kLwa, 500, "server_error", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kLwa, 503, "temporarily_unavailable", Code::kUnavailable, kTransient,
            "UPSTREAM_UNAVAILABLE"},
        // IMIconnect business errors ride on HTTP 200.
        Row{kImi, 200, "7000", Code::kInternal, kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kImi, 200, "7001", Code::kUnauthenticated, kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
        Row{kImi, 200, "7002", Code::kUnauthenticated, kNone, "UPSTREAM_CREDENTIALS_MISSING"},
        Row{kImi, 200, "7003", Code::kInvalidArgument, kNone, "UPSTREAM_INVALID_ARGUMENT"},
        Row{kImi, 200, "7006", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kImi, 200, "7010", Code::kPermissionDenied, kNone, "UPSTREAM_SOURCE_IP_NOT_ALLOWED"},
        Row{kImi, 200, "7014", Code::kNotFound, kNone, "UPSTREAM_NOT_FOUND"},
        Row{kImi, 200, "7018", Code::kFailedPrecondition, kNone, "UPSTREAM_PROFILE_NOT_LINKED"},
        Row{kImi, 200, "7020", Code::kResourceExhausted, kThrottle, "UPSTREAM_THROTTLED"},
        // A code of another provider does not match: the HTTP status decides.
        Row{kSp, 400, "ThrottlingException", Code::kInvalidArgument, kNone,
            "UPSTREAM_INVALID_ARGUMENT"},
        // An unknown code on HTTP 200 is not success.
        Row{kImi, 200, "7999", Code::kUnknown, kNone, "UPSTREAM_UNEXPECTED_STATUS"}));

INSTANTIATE_TEST_SUITE_P(
    HttpStatus, MapUpstreamErrorTest,
    ::testing::Values(
        Row{kDrs, 400, "", Code::kInvalidArgument, kNone, "UPSTREAM_INVALID_ARGUMENT"},
        Row{kDrs, 401, "", Code::kUnauthenticated, kNone, "UPSTREAM_UNAUTHENTICATED"},
        Row{kDrs, 403, "", Code::kPermissionDenied, kNone, "UPSTREAM_PERMISSION_DENIED"},
        Row{kDrs, 404, "", Code::kNotFound, kNone, "UPSTREAM_NOT_FOUND"},
        Row{kDrs, 405, "", Code::kInternal, kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kDrs, 408, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 409, "", Code::kFailedPrecondition, kNone, "UPSTREAM_CONFLICT"},
        Row{kDrs, 410, "", Code::kNotFound, kNone, "UPSTREAM_NOT_FOUND"},
        Row{kDrs, 412, "", Code::kFailedPrecondition, kNone, "UPSTREAM_PRECONDITION_FAILED"},
        Row{kSp, 413, "", Code::kInvalidArgument, kNone, "UPSTREAM_REQUEST_TOO_LARGE"},
        Row{kSp, 415, "", Code::kInternal, kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        Row{kDrs, 416, "", Code::kOutOfRange, kNone, "UPSTREAM_OUT_OF_RANGE"},
        Row{kSp, 429, "", Code::kResourceExhausted, kThrottle, "UPSTREAM_THROTTLED"},
        Row{kDrs, 499, "", Code::kCancelled, kNone, "UPSTREAM_CANCELLED"},
        Row{kDrs, 422, "", Code::kInvalidArgument, kNone, "UPSTREAM_INVALID_ARGUMENT"},
        Row{kDrs, 500, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 501, "", Code::kUnimplemented, kNone, "UPSTREAM_UNIMPLEMENTED"},
        Row{kDrs, 502, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kSp, 503, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 504, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 509, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 598, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 599, "", Code::kUnavailable, kTransient, "UPSTREAM_UNAVAILABLE"},
        Row{kDrs, 507, "", Code::kInternal, kNone, "UPSTREAM_INTERNAL"},
        Row{kDrs, 302, "", Code::kUnknown, kNone, "UPSTREAM_UNEXPECTED_STATUS"},
        Row{kDrs, 0, "", Code::kUnknown, kNone, "UPSTREAM_UNEXPECTED_STATUS"}));

struct TransportCase {
  TransportFailure failure;
  Code code;
  RetryClass retry;
  bool not_sent;
  std::string reason;
};

class MapTransportFailureTest : public ::testing::TestWithParam<TransportCase> {};

TEST_P(MapTransportFailureTest, MapsCodeRetryAndWhetherSent) {
  auto const& c = GetParam();
  absl::Status status = MapTransportFailure(c.failure, "api.example.com", "what curl said");
  EXPECT_EQ(status.code(), c.code);
  EXPECT_EQ(RetryClassOf(status), c.retry);
  EXPECT_EQ(ProvablyNotSent(status), c.not_sent);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), "api.example.com");
  EXPECT_THAT(status.message(), HasSubstr("what curl said"));
}

using TF = TransportFailure;
INSTANTIATE_TEST_SUITE_P(
    Rows, MapTransportFailureTest,
    ::testing::Values(
        TransportCase{TF::kResolve, Code::kUnavailable, kTransient, true, "UPSTREAM_DNS_FAILED"},
        TransportCase{TF::kConnect, Code::kUnavailable, kTransient, true,
                      "UPSTREAM_CONNECT_FAILED"},
        TransportCase{TF::kConnectTimeout, Code::kUnavailable, kTransient, true,
                      "UPSTREAM_CONNECT_TIMEOUT"},
        TransportCase{TF::kTlsHandshake, Code::kUnavailable, kTransient, true,
                      "UPSTREAM_TLS_FAILED"},
        TransportCase{TF::kTlsVerification, Code::kUnavailable, kNone, true,
                      "UPSTREAM_TLS_UNTRUSTED"},
        TransportCase{TF::kSend, Code::kUnavailable, kTransient, false,
                      "UPSTREAM_CONNECTION_LOST"},
        TransportCase{TF::kReceive, Code::kUnavailable, kTransient, false,
                      "UPSTREAM_CONNECTION_LOST"},
        TransportCase{TF::kTimeout, Code::kUnavailable, kTransient, false, "UPSTREAM_TIMEOUT"},
        TransportCase{TF::kDeadline, Code::kDeadlineExceeded, kNone, false, "DEADLINE_EXCEEDED"},
        TransportCase{TF::kCancelled, Code::kCancelled, kNone, false, "CANCELLED"},
        TransportCase{TF::kResponseTooLarge, Code::kInternal, kNone, false,
                      "UPSTREAM_RESPONSE_TOO_LARGE"},
        TransportCase{TF::kMalformedResponse, Code::kInternal, kNone, false,
                      "UPSTREAM_MALFORMED_RESPONSE"},
        TransportCase{TF::kBadRequest, Code::kInternal, kNone, true,
                      "GATEWAY_BAD_UPSTREAM_REQUEST"},
        TransportCase{TF::kOther, Code::kUnknown, kNone, false, "UPSTREAM_TRANSPORT_FAILED"}));

TEST(StatusMappingTest, RequestIdAndRetryAfterBecomeDetails) {
  UpstreamError error;
  error.provider = Provider::kSellingPartner;
  error.http_status = 429;
  error.vendor_code = "QuotaExceeded";
  error.message = "You exceeded your quota for the requested resource.";
  error.request_id = "req-123";
  error.retry_after = absl::Milliseconds(2500);
  error.metadata["rateLimit"] = "1.0";
  absl::Status status = MapUpstreamError(error);

  EXPECT_EQ(status.message(),
            "Selling Partner API answered HTTP 429 QuotaExceeded: You exceeded your quota for "
            "the requested resource.");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.metadata().at("httpStatus"), "429");
  EXPECT_EQ(info.metadata().at("upstreamCode"), "QuotaExceeded");
  EXPECT_EQ(info.metadata().at("upstreamRequestId"), "req-123");
  EXPECT_EQ(info.metadata().at("rateLimit"), "1.0");
  google::rpc::RequestInfo request_info;
  ASSERT_TRUE(FindDetail(status, request_info));
  EXPECT_EQ(request_info.request_id(), "req-123");
  EXPECT_EQ(RetryDelayOf(status), absl::Milliseconds(2500));
}

TEST(StatusMappingTest, InternalPayloadsNeverReachTheCaller) {
  absl::Status status = MapTransportFailure(TF::kConnect, "h", "refused");
  ASSERT_TRUE(ProvablyNotSent(status));
  google::rpc::Status rpc = ToRpcStatus(status);
  EXPECT_EQ(rpc.details_size(), 1);  // ErrorInfo only
  for (auto const& any : rpc.details()) {
    EXPECT_THAT(any.type_url(), HasSubstr("type.googleapis.com/google.rpc."));
  }
}

TEST(StatusMappingTest, MarkersCanBeSetOnLocalErrors) {
  absl::Status status = absl::ResourceExhaustedError("local limiter");
  SetRetryClass(status, RetryClass::kThrottle);
  MarkNotSent(status);
  SetRetryDelay(status, absl::Seconds(1));
  EXPECT_EQ(RetryClassOf(status), RetryClass::kThrottle);
  EXPECT_TRUE(ProvablyNotSent(status));
  EXPECT_EQ(RetryDelayOf(status), absl::Seconds(1));
  SetRetryClass(status, RetryClass::kNone);
  EXPECT_EQ(RetryClassOf(status), RetryClass::kNone);
}

}  // namespace
}  // namespace linkgateway::core
