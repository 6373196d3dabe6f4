// Every RPC's operation table: what the server dispatches through.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "adapters/operation/operation.h"
#include "linkgateway/v1/app_profiles.pb.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters {

struct ProviderRegistry {
  OperationTable<v1::DeleteRegistrationRequest, v1::DeleteRegistrationResponse>
      delete_registration;
  OperationTable<v1::GetSubscriptionInfoRequest, v1::SubscriptionInfo>
      get_subscription_info;
  OperationTable<v1::DeleteSubscriptionRequest, v1::DeleteSubscriptionResponse>
      delete_subscription;
  OperationTable<v1::DeleteAppProfileRequest, v1::DeleteAppProfileResponse>
      delete_app_profile;
  OperationTable<v1::GetProfileTransactionRequest, v1::ProfileTransaction>
      get_profile_transaction;
};

// Per provider (the name of the request oneof's field, e.g. "sms_voice"): OK
// when every operation it serves passes Preflight() (configured, credentials
// there and not rejected), else the first failure. For health checks.
std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry);

}  // namespace linkgateway::adapters

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
