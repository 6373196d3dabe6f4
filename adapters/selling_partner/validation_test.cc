#include "adapters/selling_partner/validation.h"

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using adapters::testing::ExpectValidation;
using adapters::testing::ValidationCase;

class DeleteSubscriptionValidationTest
    : public ::testing::TestWithParam<adapters::testing::ValidationCase> {};
TEST_P(DeleteSubscriptionValidationTest, Validates) {
  adapters::testing::ExpectValidation<v1::DeleteSubscriptionRequest>(&ValidateDeleteSubscription,
                                                                     GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteSubscriptionValidationTest,
    ::testing::Values(
        adapters::testing::ValidationCase{
            "Valid",
            R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "sub/1 ?#" })",
            ""},
        adapters::testing::ValidationCase{"NoType", R"(selling_partner { subscription_id: "s" })",
                                          "selling_partner.notification_type"},
        adapters::testing::ValidationCase{
            "TypeWithSlash", R"(selling_partner { notification_type: "A/B" subscription_id: "s" })",
            "selling_partner.notification_type"},
        adapters::testing::ValidationCase{
            "NoId", R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" })",
            "selling_partner.subscription_id"},
        adapters::testing::ValidationCase{
            "IdDot",
            R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "." })",
            "selling_partner.subscription_id"},
        adapters::testing::ValidationCase{
            "IdControl",
            R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "a\tb" })",
            "selling_partner.subscription_id"}),
    adapters::testing::CaseName);

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
