// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/selling_partner/errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using Code = absl::StatusCode;
using R = core::RetryClass;
using core::testing::VendorRow;

class SellingPartnerErrorsTest : public ::testing::TestWithParam<VendorRow> {};

TEST_P(SellingPartnerErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  core::testing::ExpectMapping(Errors(), "sellingpartnerapi.amazon.com", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, SellingPartnerErrorsTest,
    ::testing::Values(VendorRow{400, "InvalidInput", Code::kInvalidArgument, R::kNone,
                                "UPSTREAM_INVALID_ARGUMENT"},
                      VendorRow{403, "Unauthorized", Code::kPermissionDenied, R::kNone,
                                "UPSTREAM_PERMISSION_DENIED"},
                      VendorRow{403, "MissingAuthenticationToken", Code::kUnauthenticated, R::kNone,
                                "UPSTREAM_CREDENTIALS_REJECTED"},
                      VendorRow{404, "NotFound", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
                      VendorRow{409, "Conflict", Code::kFailedPrecondition, R::kNone,
                                "UPSTREAM_CONFLICT"},
                      VendorRow{429, "QuotaExceeded", Code::kResourceExhausted, R::kThrottle,
                                "UPSTREAM_THROTTLED"},
                      VendorRow{500, "InternalFailure", Code::kUnavailable, R::kTransient,
                                "UPSTREAM_UNAVAILABLE"},
                      VendorRow{503, "ServiceUnavailable", Code::kUnavailable, R::kTransient,
                                "UPSTREAM_UNAVAILABLE"},
                      // Another provider's code does not match: the HTTP status decides.
                      VendorRow{400, "ThrottlingException", Code::kInvalidArgument, R::kNone,
                                "UPSTREAM_INVALID_ARGUMENT"}));

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
