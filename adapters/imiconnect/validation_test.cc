#include "adapters/imiconnect/validation.h"

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using adapters::testing::ExpectValidation;
using adapters::testing::ParseText;
using adapters::testing::ValidationCase;

class DeleteAppProfileValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(DeleteAppProfileValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::DeleteAppProfileRequest>(&ValidateDeleteAppProfile,
                                                                   GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteAppProfileValidationTest,
    ::testing::Values(
        adapters::testing::ValidationCase{
            "Valid",
            R"(imiconnect { app_id: "a_635736738702976937" customer_id: "9876"
                                       device_id: "4451830998765" })",
            ""},
        adapters::testing::ValidationCase{
            "Unicode", R"(imiconnect { app_id: "a" customer_id: "kunde-ü" device_id: "gerät" })",
            ""},
        adapters::testing::ValidationCase{
            "NoCustomer", R"(imiconnect { app_id: "a" device_id: "d" })", "imiconnect.customer_id"},
        adapters::testing::ValidationCase{
            "DeviceDotDot", R"(imiconnect { app_id: "a" customer_id: "c" device_id: ".." })",
            "imiconnect.device_id"}),
    adapters::testing::CaseName);

class GetProfileTransactionValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(GetProfileTransactionValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::GetProfileTransactionRequest>(
      &ValidateGetProfileTransaction, GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, GetProfileTransactionValidationTest,
    ::testing::Values(
        adapters::testing::ValidationCase{
            "Uuid", R"(imiconnect { transaction_id: "3457ee77-53c8-52ac-8a51-ee6e062cae8a" })", ""},
        adapters::testing::ValidationCase{"PathTraversal",
                                          R"(imiconnect { transaction_id: "../x" })",
                                          "imiconnect.transaction_id"}),
    adapters::testing::CaseName);

TEST(ImiconnectValidationTest, EveryViolationIsReported) {
  absl::Status status = ValidateDeleteAppProfile(
      adapters::testing::ParseText<v1::DeleteAppProfileRequest>("imiconnect {}"));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(adapters::errors::FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations_size(), 3);
}

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
