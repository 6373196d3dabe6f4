#include "adapters/imiconnect/validation.h"

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using core::testing::ExpectValidation;
using core::testing::ParseText;
using core::testing::ValidationCase;

class DeleteAppProfileValidationTest : public ::testing::TestWithParam<ValidationCase> {};
TEST_P(DeleteAppProfileValidationTest, Validates) {
  ExpectValidation<v1::DeleteAppProfileRequest>(&ValidateDeleteAppProfile, GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteAppProfileValidationTest,
    ::testing::Values(
        ValidationCase{"Valid",
                       R"(imiconnect { app_id: "a_635736738702976937" customer_id: "9876"
                                       device_id: "4451830998765" })",
                       ""},
        ValidationCase{"Unicode",
                       R"(imiconnect { app_id: "a" customer_id: "kunde-ü" device_id: "gerät" })",
                       ""},
        ValidationCase{"NoCustomer", R"(imiconnect { app_id: "a" device_id: "d" })",
                       "imiconnect.customer_id"},
        ValidationCase{"DeviceDotDot",
                       R"(imiconnect { app_id: "a" customer_id: "c" device_id: ".." })",
                       "imiconnect.device_id"}),
    core::testing::CaseName);

class GetProfileTransactionValidationTest : public ::testing::TestWithParam<ValidationCase> {};
TEST_P(GetProfileTransactionValidationTest, Validates) {
  ExpectValidation<v1::GetProfileTransactionRequest>(&ValidateGetProfileTransaction, GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, GetProfileTransactionValidationTest,
    ::testing::Values(
        ValidationCase{"Uuid",
                       R"(imiconnect { transaction_id: "3457ee77-53c8-52ac-8a51-ee6e062cae8a" })",
                       ""},
        ValidationCase{"PathTraversal", R"(imiconnect { transaction_id: "../x" })",
                       "imiconnect.transaction_id"}),
    core::testing::CaseName);

TEST(ImiconnectValidationTest, EveryViolationIsReported) {
  absl::Status status =
      ValidateDeleteAppProfile(ParseText<v1::DeleteAppProfileRequest>("imiconnect {}"));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(core::FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations_size(), 3);
}

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
