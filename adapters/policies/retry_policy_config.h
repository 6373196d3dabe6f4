// GatewayConfig.retry_policies -> RetryPolicy. Unset fields take
// RetryPolicy's defaults (retry_policy.h), the one place they are defined.
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_CONFIG_H_

#include "absl/strings/string_view.h"
#include "adapters/operation/operation_id.h"
#include "adapters/policies/retry_policy.h"
#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::policies {

RetryPolicy RetryPolicyFromConfig(config::v1::RetryPolicyConfig const& config);

// The policy configured for `operation`, or the defaults.
RetryPolicy RetryPolicyFor(config::v1::GatewayConfig const& config,
                           adapters::operation::OperationId const& operation);

// Checks one configured policy; `key` names it in errors, e.g.
// retry_policies["sms_voice.DeleteRegistration"].
void CheckRetryPolicy(config::v1::RetryPolicyConfig const& config, absl::string_view key,
                      config::Checker& check);

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_RETRY_POLICY_CONFIG_H_
