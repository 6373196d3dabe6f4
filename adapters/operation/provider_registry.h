// Every RPC's operation table: what the server dispatches through.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_

#include <map>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "adapters/operation/operation.h"
#include "linkgateway/v1/app_profiles.pb.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::operation {

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

  // Providers (target case names, e.g. "sms_voice") whose delete may be sent
  // again when the outcome of an earlier send is unknown: a repeat changes
  // nothing, and its answer (NOT_FOUND: gone) proves the end state. What an
  // unlink job resumed after a crash relies on; others are never re-sent.
  absl::flat_hash_set<std::string> repeatable_deletes;
};

// Per provider (the name of the request oneof's field, e.g. "sms_voice"): OK
// when every operation it serves passes Preflight() (configured, credentials
// there and not rejected), else the first failure. For health checks.
std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry);

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
