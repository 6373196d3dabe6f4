#include "adapters/selling_partner/validation.h"

#include "adapters/validation/field_checker.h"

namespace linkgateway::adapters::selling_partner {

absl::Status ValidateDeleteSubscription(v1::DeleteSubscriptionRequest const& request) {
  auto const& key = request.selling_partner();
  adapters::validation::FieldChecker check("selling_partner.");
  check.Pattern("notification_type", key.notification_type(), 128, "_", "[A-Za-z0-9_]+");
  check.PathSegment("subscription_id", key.subscription_id());
  return check.Result(request);
}

}  // namespace linkgateway::adapters::selling_partner
