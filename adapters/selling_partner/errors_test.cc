// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/selling_partner/errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using adapters::testing::VendorRow;

class SellingPartnerErrorsTest : public ::testing::TestWithParam<adapters::testing::VendorRow> {};

TEST_P(SellingPartnerErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  adapters::testing::ExpectMapping(Errors(), "sellingpartnerapi.amazon.com", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, SellingPartnerErrorsTest,
    ::testing::Values(adapters::testing::VendorRow{400, "InvalidInput", Code::kInvalidArgument,
                                                   R::kNone, "UPSTREAM_INVALID_ARGUMENT"},
                      adapters::testing::VendorRow{403, "Unauthorized", Code::kPermissionDenied,
                                                   R::kNone, "UPSTREAM_PERMISSION_DENIED"},
                      adapters::testing::VendorRow{403, "MissingAuthenticationToken",
                                                   Code::kUnauthenticated, R::kNone,
                                                   "UPSTREAM_CREDENTIALS_REJECTED"},
                      adapters::testing::VendorRow{404, "NotFound", Code::kNotFound, R::kNone,
                                                   "UPSTREAM_NOT_FOUND"},
                      adapters::testing::VendorRow{409, "Conflict", Code::kFailedPrecondition,
                                                   R::kNone, "UPSTREAM_CONFLICT"},
                      adapters::testing::VendorRow{429, "QuotaExceeded", Code::kResourceExhausted,
                                                   R::kThrottle, "UPSTREAM_THROTTLED"},
                      adapters::testing::VendorRow{500, "InternalFailure", Code::kUnavailable,
                                                   R::kTransient, "UPSTREAM_UNAVAILABLE"},
                      adapters::testing::VendorRow{503, "ServiceUnavailable", Code::kUnavailable,
                                                   R::kTransient, "UPSTREAM_UNAVAILABLE"},
                      // Another provider's code does not match: the HTTP status decides.
                      adapters::testing::VendorRow{400, "ThrottlingException",
                                                   Code::kInvalidArgument, R::kNone,
                                                   "UPSTREAM_INVALID_ARGUMENT"}));

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
