// Every row of the mapping tables, written out again here on purpose: the
// test states the intended mapping independently of the table it checks.
#include "adapters/errors/status_mapping.h"

#include <string>

#include "adapters/errors/status_details.h"
#include "adapters/testing/mapping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::errors {
namespace {

using Code = absl::StatusCode;
using ::testing::HasSubstr;

// A provider for these tests: two vendor codes, to show they win over HTTP.
constexpr VendorErrorRow kTestRows[] = {
    {"Gone", Code::kNotFound, RetryClass::kNone, "UPSTREAM_NOT_FOUND"},
    {"SlowDown", Code::kResourceExhausted, RetryClass::kThrottle, "UPSTREAM_THROTTLED"},
};
constexpr ProviderErrors kTest{"test.example.com", "Test Provider", kTestRows};

using testing::VendorRow;
using R = RetryClass;
constexpr auto kNone = RetryClass::kNone;
constexpr auto kTransient = RetryClass::kTransient;

class MapUpstreamErrorTest : public ::testing::TestWithParam<adapters::testing::VendorRow> {};

TEST_P(MapUpstreamErrorTest, MapsCodeRetryClassAndReason) {
  testing::ExpectMapping(kTest, "test.example.com", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    VendorCodesWin, MapUpstreamErrorTest,
    ::testing::Values(adapters::testing::VendorRow{400, "Gone", Code::kNotFound, R::kNone,
                                                   "UPSTREAM_NOT_FOUND"},
                      adapters::testing::VendorRow{200, "SlowDown", Code::kResourceExhausted,
                                                   R::kThrottle, "UPSTREAM_THROTTLED"},
                      // An unknown code: the HTTP status decides.
                      adapters::testing::VendorRow{400, "Unheard", Code::kInvalidArgument, R::kNone,
                                                   "UPSTREAM_INVALID_ARGUMENT"},
                      // An unknown code on HTTP 200 is not success.
                      adapters::testing::VendorRow{200, "Unheard", Code::kUnknown, R::kNone,
                                                   "UPSTREAM_UNEXPECTED_STATUS"}));

INSTANTIATE_TEST_SUITE_P(
    HttpStatus, MapUpstreamErrorTest,
    ::testing::Values(
        adapters::testing::VendorRow{400, "", Code::kInvalidArgument, R::kNone,
                                     "UPSTREAM_INVALID_ARGUMENT"},
        adapters::testing::VendorRow{401, "", Code::kUnauthenticated, R::kNone,
                                     "UPSTREAM_UNAUTHENTICATED"},
        adapters::testing::VendorRow{403, "", Code::kPermissionDenied, R::kNone,
                                     "UPSTREAM_PERMISSION_DENIED"},
        adapters::testing::VendorRow{404, "", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
        adapters::testing::VendorRow{405, "", Code::kInternal, R::kNone,
                                     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        adapters::testing::VendorRow{408, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{409, "", Code::kFailedPrecondition, R::kNone,
                                     "UPSTREAM_CONFLICT"},
        adapters::testing::VendorRow{410, "", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
        adapters::testing::VendorRow{412, "", Code::kFailedPrecondition, R::kNone,
                                     "UPSTREAM_PRECONDITION_FAILED"},
        adapters::testing::VendorRow{413, "", Code::kInvalidArgument, R::kNone,
                                     "UPSTREAM_REQUEST_TOO_LARGE"},
        adapters::testing::VendorRow{415, "", Code::kInternal, R::kNone,
                                     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        adapters::testing::VendorRow{416, "", Code::kOutOfRange, R::kNone, "UPSTREAM_OUT_OF_RANGE"},
        adapters::testing::VendorRow{429, "", Code::kResourceExhausted, R::kThrottle,
                                     "UPSTREAM_THROTTLED"},
        adapters::testing::VendorRow{499, "", Code::kCancelled, R::kNone, "UPSTREAM_CANCELLED"},
        adapters::testing::VendorRow{422, "", Code::kInvalidArgument, R::kNone,
                                     "UPSTREAM_INVALID_ARGUMENT"},
        adapters::testing::VendorRow{500, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{501, "", Code::kUnimplemented, R::kNone,
                                     "UPSTREAM_UNIMPLEMENTED"},
        adapters::testing::VendorRow{502, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{503, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{504, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{509, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{598, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{599, "", Code::kUnavailable, R::kTransient,
                                     "UPSTREAM_UNAVAILABLE"},
        adapters::testing::VendorRow{507, "", Code::kInternal, R::kNone, "UPSTREAM_INTERNAL"},
        adapters::testing::VendorRow{302, "", Code::kUnknown, R::kNone,
                                     "UPSTREAM_UNEXPECTED_STATUS"},
        adapters::testing::VendorRow{0, "", Code::kUnknown, R::kNone,
                                     "UPSTREAM_UNEXPECTED_STATUS"}));

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
        TransportCase{TF::kSend, Code::kUnavailable, kTransient, false, "UPSTREAM_CONNECTION_LOST"},
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
  error.provider = &kTest;
  error.http_status = 429;
  error.vendor_code = "QuotaExceeded";
  error.message = "You exceeded your quota for the requested resource.";
  error.request_id = "req-123";
  error.retry_after = absl::Milliseconds(2500);
  error.metadata["rateLimit"] = "1.0";
  absl::Status status = MapUpstreamError(error);

  EXPECT_EQ(status.message(),
            "Test Provider answered HTTP 429 QuotaExceeded: You exceeded your quota for the "
            "requested resource.");
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

TEST(StatusMappingTest, TransportFailuresAreAttributedToTheirProvider) {
  absl::Status status = AttributeTo(kTest, MapTransportFailure(TF::kConnect, "h.example", "x"));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.domain(), "test.example.com");
  EXPECT_EQ(info.metadata().at("upstreamHost"), "h.example");
  EXPECT_EQ(info.metadata().at("provider"), "Test Provider");
  EXPECT_TRUE(ProvablyNotSent(status));  // internal markers survive

  // The gateway's own errors stay its own.
  absl::Status own = WithErrorInfo(absl::InternalError("x"), "SOMETHING", kGatewayDomain);
  ASSERT_TRUE(FindDetail(AttributeTo(kTest, own), info));
  EXPECT_EQ(info.domain(), kGatewayDomain);
  EXPECT_TRUE(AttributeTo(kTest, absl::OkStatus()).ok());
}

TEST(StatusMappingTest, MalformedResponseNamesTheProvider) {
  absl::Status status = MalformedResponse(kTest, "the answer is not JSON");
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(status.message(), "Test Provider: the answer is not JSON");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), "UPSTREAM_MALFORMED_RESPONSE");
  EXPECT_EQ(info.domain(), "test.example.com");
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
}  // namespace linkgateway::adapters::errors
