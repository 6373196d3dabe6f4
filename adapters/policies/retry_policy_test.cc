// Retry configuration: unset fields take RetryPolicy's defaults; bad values
// are named.
#include "adapters/policies/retry_policy_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::policies {
namespace {

using ::testing::HasSubstr;

TEST(RetryPolicyConfigTest, UnsetFieldsTakeTheDefaults) {
  config::v1::RetryPolicyConfig config;
  config.set_max_attempts(5);
  RetryPolicy policy = RetryPolicyFromConfig(config);
  RetryPolicy defaults;
  EXPECT_EQ(policy.max_attempts, 5);
  EXPECT_EQ(policy.initial_backoff, defaults.initial_backoff);
  EXPECT_EQ(policy.max_backoff, defaults.max_backoff);
  EXPECT_EQ(policy.multiplier, defaults.multiplier);
  EXPECT_EQ(defaults.max_attempts, 3);
  EXPECT_EQ(defaults.initial_backoff, absl::Milliseconds(100));
}

TEST(RetryPolicyConfigTest, PolicyForAnOperation) {
  config::v1::GatewayConfig config;
  (*config.mutable_retry_policies())["p.Op"].set_max_attempts(7);
  EXPECT_EQ(RetryPolicyFor(config, adapters::operation::OperationId("p", "Op")).max_attempts, 7);
  EXPECT_EQ(RetryPolicyFor(config, adapters::operation::OperationId("p", "Other")).max_attempts, 3);
}

TEST(RetryPolicyConfigTest, BadValuesAreNamed) {
  config::v1::GatewayConfig gateway;
  config::Checker check(gateway);
  config::v1::RetryPolicyConfig config;
  config.set_max_attempts(-1);
  config.set_multiplier(0.5);
  config.mutable_initial_backoff()->set_seconds(30);  // above the 20 s max_backoff default
  CheckRetryPolicy(config, "retry_policies[\"p.Op\"]", check);
  std::string message(check.Result().message());
  EXPECT_THAT(message, HasSubstr("retry_policies[\"p.Op\"].max_attempts: must be at least 1"));
  EXPECT_THAT(message, HasSubstr(".multiplier: must be at least 1"));
  EXPECT_THAT(message, HasSubstr(".max_backoff: must not be below initial_backoff"));
}

}  // namespace
}  // namespace linkgateway::adapters::policies
