// Dash Replenishment's request rules (the API's field comments), checked
// before anything is sent.
#ifndef LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_VALIDATION_H_
#define LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_VALIDATION_H_

#include "absl/status/status.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::dash_replenishment {

absl::Status ValidateDeregistration(v1::DeleteRegistrationRequest const& request);
absl::Status ValidateSubscriptionInfo(v1::GetSubscriptionInfoRequest const& request);

}  // namespace linkgateway::adapters::dash_replenishment

#endif  // LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_VALIDATION_H_
