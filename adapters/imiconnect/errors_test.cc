// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/imiconnect/errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using Code = absl::StatusCode;
using R = core::RetryClass;
using core::testing::VendorRow;

class ImiconnectErrorsTest : public ::testing::TestWithParam<VendorRow> {};

TEST_P(ImiconnectErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  core::testing::ExpectMapping(Errors(), "imiconnect.io", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ImiconnectErrorsTest,
    ::testing::Values(
        VendorRow{200, "7000", Code::kInternal, R::kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
        VendorRow{200, "7001", Code::kUnauthenticated, R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
        VendorRow{200, "7002", Code::kUnauthenticated, R::kNone, "UPSTREAM_CREDENTIALS_MISSING"},
        VendorRow{200, "7003", Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT"},
        VendorRow{200, "7006", Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
        VendorRow{200, "7010", Code::kPermissionDenied, R::kNone, "UPSTREAM_SOURCE_IP_NOT_ALLOWED"},
        VendorRow{200, "7014", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
        VendorRow{200, "7018", Code::kFailedPrecondition, R::kNone, "UPSTREAM_PROFILE_NOT_LINKED"},
        VendorRow{200, "7020", Code::kResourceExhausted, R::kThrottle, "UPSTREAM_THROTTLED"},
        // An unknown code on HTTP 200 is not success.
        VendorRow{200, "7999", Code::kUnknown, R::kNone, "UPSTREAM_UNEXPECTED_STATUS"}));

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
