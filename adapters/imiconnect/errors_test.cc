// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/imiconnect/errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using adapters::testing::VendorRow;

class ImiconnectErrorsTest : public ::testing::TestWithParam<adapters::testing::VendorRow> {};

TEST_P(ImiconnectErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  adapters::testing::ExpectMapping(Errors(), "imiconnect.io", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ImiconnectErrorsTest,
    ::testing::Values(adapters::testing::VendorRow{200, "7000", Code::kInternal, R::kNone,
                                                   "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
                      adapters::testing::VendorRow{200, "7001", Code::kUnauthenticated, R::kNone,
                                                   "UPSTREAM_CREDENTIALS_REJECTED"},
                      adapters::testing::VendorRow{200, "7002", Code::kUnauthenticated, R::kNone,
                                                   "UPSTREAM_CREDENTIALS_MISSING"},
                      adapters::testing::VendorRow{200, "7003", Code::kInvalidArgument, R::kNone,
                                                   "UPSTREAM_INVALID_ARGUMENT"},
                      adapters::testing::VendorRow{200, "7006", Code::kUnavailable, R::kTransient,
                                                   "UPSTREAM_UNAVAILABLE"},
                      adapters::testing::VendorRow{200, "7010", Code::kPermissionDenied, R::kNone,
                                                   "UPSTREAM_SOURCE_IP_NOT_ALLOWED"},
                      adapters::testing::VendorRow{200, "7014", Code::kNotFound, R::kNone,
                                                   "UPSTREAM_NOT_FOUND"},
                      adapters::testing::VendorRow{200, "7018", Code::kFailedPrecondition, R::kNone,
                                                   "UPSTREAM_PROFILE_NOT_LINKED"},
                      adapters::testing::VendorRow{200, "7020", Code::kResourceExhausted,
                                                   R::kThrottle, "UPSTREAM_THROTTLED"},
                      // An unknown code on HTTP 200 is not success.
                      adapters::testing::VendorRow{200, "7999", Code::kUnknown, R::kNone,
                                                   "UPSTREAM_UNEXPECTED_STATUS"}));

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
