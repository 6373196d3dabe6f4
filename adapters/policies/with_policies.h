// How a factory wraps an operation in its policies, in one line: the retry
// policy configured for its OperationId, and (optionally) a rate limit, each
// reporting to that operation's metrics.
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_WITH_POLICIES_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_WITH_POLICIES_H_

#include <memory>
#include <string>
#include <utility>

#include "adapters/operation/operation.h"
#include "adapters/operation/provider_factory.h"
#include "adapters/policies/rate_limited_operation.h"
#include "adapters/policies/retry_policy_config.h"
#include "adapters/policies/retrying_operation.h"
#include "adapters/policies/token_bucket.h"

namespace linkgateway::adapters::policies {

template <typename Request, typename Response>
std::shared_ptr<adapters::operation::Operation<Request, Response>> WithRetries(
    adapters::operation::ProviderContext& context, adapters::operation::OperationId id,
    std::shared_ptr<adapters::operation::Operation<Request, Response>> inner,
    Idempotency idempotency,
    typename RetryingOperation<Request, Response>::AlreadyDone already_done = nullptr) {
  auto retrying = std::make_shared<RetryingOperation<Request, Response>>(
      std::move(inner), RetryPolicyFor(context.config, id), idempotency,
      context.scheduler, std::move(already_done));
  retrying->set_metrics(&context.MetricsFor(id));
  return retrying;
}

// `name` names the upstream operation in the refusal's message.
template <typename Request, typename Response>
std::shared_ptr<adapters::operation::Operation<Request, Response>> WithRateLimit(
    adapters::operation::ProviderContext& context, adapters::operation::OperationId id,
    std::shared_ptr<adapters::operation::Operation<Request, Response>> inner,
    std::shared_ptr<RateLimiter> limiter, std::string name) {
  auto limited = std::make_shared<RateLimitedOperation<Request, Response>>(
      std::move(inner), std::move(limiter), context.scheduler, std::move(name));
  limited->set_metrics(&context.MetricsFor(id));
  return limited;
}

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_WITH_POLICIES_H_
