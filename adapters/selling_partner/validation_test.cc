#include "adapters/selling_partner/validation.h"

#include "adapters/testing/validation.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using core::testing::ExpectValidation;
using core::testing::ValidationCase;

class DeleteSubscriptionValidationTest : public ::testing::TestWithParam<ValidationCase> {};
TEST_P(DeleteSubscriptionValidationTest, Validates) {
  ExpectValidation<v1::DeleteSubscriptionRequest>(&ValidateDeleteSubscription, GetParam());
}
INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteSubscriptionValidationTest,
    ::testing::Values(
        ValidationCase{"Valid",
                       R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "sub/1 ?#" })",
                       ""},
        ValidationCase{"NoType", R"(selling_partner { subscription_id: "s" })",
                       "selling_partner.notification_type"},
        ValidationCase{"TypeWithSlash",
                       R"(selling_partner { notification_type: "A/B" subscription_id: "s" })",
                       "selling_partner.notification_type"},
        ValidationCase{"NoId", R"(selling_partner { notification_type: "ANY_OFFER_CHANGED" })",
                       "selling_partner.subscription_id"},
        ValidationCase{"IdDot",
                       R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "." })",
                       "selling_partner.subscription_id"},
        ValidationCase{"IdControl",
                       R"(selling_partner { notification_type: "ANY_OFFER_CHANGED"
                                            subscription_id: "a\tb" })",
                       "selling_partner.subscription_id"}),
    core::testing::CaseName);

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
