// Every row of this provider's vendor table, written out again on purpose:
// the test states the intended mapping independently of the table it checks.
#include "adapters/auth/lwa_errors.h"

#include "adapters/testing/mapping.h"

namespace linkgateway::adapters::auth {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using testing::VendorRow;

class LwaErrorsTest : public ::testing::TestWithParam<adapters::testing::VendorRow> {};

TEST_P(LwaErrorsTest, MapsCodeRetryClassReasonAndDomain) {
  testing::ExpectMapping(LwaErrors(), "api.amazon.com", GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, LwaErrorsTest,
    ::testing::Values(adapters::testing::VendorRow{401, "invalid_client", Code::kUnauthenticated,
                                                   R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
                      adapters::testing::VendorRow{400, "unauthorized_client",
                                                   Code::kUnauthenticated, R::kNone,
                                                   "UPSTREAM_CREDENTIALS_REJECTED"},
                      adapters::testing::VendorRow{400, "invalid_grant", Code::kUnauthenticated,
                                                   R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
                      adapters::testing::VendorRow{400, "invalid_scope", Code::kPermissionDenied,
                                                   R::kNone, "UPSTREAM_PERMISSION_DENIED"},
                      adapters::testing::VendorRow{400, "access_denied", Code::kPermissionDenied,
                                                   R::kNone, "UPSTREAM_PERMISSION_DENIED"},
                      adapters::testing::VendorRow{400, "invalid_request", Code::kInternal,
                                                   R::kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
                      adapters::testing::VendorRow{400, "unsupported_grant_type", Code::kInternal,
                                                   R::kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
                      adapters::testing::VendorRow{500, "server_error", Code::kUnavailable,
                                                   R::kTransient, "UPSTREAM_UNAVAILABLE"},
                      adapters::testing::VendorRow{503, "temporarily_unavailable",
                                                   Code::kUnavailable, R::kTransient,
                                                   "UPSTREAM_UNAVAILABLE"}));

}  // namespace
}  // namespace linkgateway::adapters::auth
