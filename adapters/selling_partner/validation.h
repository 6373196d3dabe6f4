// The Selling Partner API's request rules (the API's field comments), checked
// before anything is sent.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_VALIDATION_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_VALIDATION_H_

#include "absl/status/status.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::selling_partner {

absl::Status ValidateDeleteSubscription(v1::DeleteSubscriptionRequest const& request);

}  // namespace linkgateway::adapters::selling_partner

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_VALIDATION_H_
