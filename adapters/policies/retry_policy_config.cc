#include "adapters/policies/retry_policy_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "config/config.h"

namespace linkgateway::adapters::policies {

RetryPolicy RetryPolicyFromConfig(config::v1::RetryPolicyConfig const& config) {
  RetryPolicy policy;
  if (config.max_attempts() != 0) policy.max_attempts = config.max_attempts();
  // Zero is unset in proto3: the default applies.
  if (auto d = config::ToDuration(config.initial_backoff()); d != absl::ZeroDuration()) {
    policy.initial_backoff = d;
  }
  if (auto d = config::ToDuration(config.max_backoff()); d != absl::ZeroDuration()) {
    policy.max_backoff = d;
  }
  if (config.multiplier() != 0) policy.multiplier = config.multiplier();
  return policy;
}

RetryPolicy RetryPolicyFor(config::v1::GatewayConfig const& config,
                           adapters::operation::OperationId const& operation) {
  auto it = config.retry_policies().find(operation.key());
  return it == config.retry_policies().end() ? RetryPolicy() : RetryPolicyFromConfig(it->second);
}

void CheckRetryPolicy(config::v1::RetryPolicyConfig const& config, absl::string_view key,
                      config::Checker& check) {
  RetryPolicy policy = RetryPolicyFromConfig(config);
  std::string prefix(key);
  if (policy.max_attempts < 1) check.Fail(prefix + ".max_attempts", "must be at least 1");
  if (policy.multiplier < 1) check.Fail(prefix + ".multiplier", "must be at least 1");
  if (policy.initial_backoff <= absl::ZeroDuration()) {
    check.Fail(prefix + ".initial_backoff", "must be positive");
  }
  if (policy.max_backoff < policy.initial_backoff) {
    check.Fail(prefix + ".max_backoff", "must not be below initial_backoff");
  }
}

}  // namespace linkgateway::adapters::policies
