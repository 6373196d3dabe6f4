// How a factory wraps an operation in its policies, in one line: the retry
// policy configured for its OperationId, and (optionally) a rate limit, each
// reporting to that operation's observer.
#ifndef LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_
#define LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_

#include <memory>
#include <string>
#include <utility>

#include "adapters/operation/operation.h"
#include "adapters/operation/provider_registry.h"
#include "adapters/policies/rate_limited_operation.h"
#include "adapters/policies/retry_policy_config.h"
#include "adapters/policies/retrying_operation.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/provider/provider_context.h"

namespace linkgateway::adapters::provider {

template <typename Request, typename Response>
std::shared_ptr<operation::Operation<Request, Response>> WithRetries(
    ProviderContext& context, operation::OperationId id,
    std::shared_ptr<operation::Operation<Request, Response>> inner,
    policies::Idempotency idempotency,
    typename policies::RetryingOperation<Request, Response>::AlreadyDone already_done = nullptr) {
  auto retrying = std::make_shared<policies::RetryingOperation<Request, Response>>(
      std::move(inner), policies::RetryPolicyFor(context.config, id), idempotency,
      context.scheduler, std::move(already_done));
  retrying->set_observer(&context.observer.For(id));
  return retrying;
}

// `name` names the upstream operation in the refusal's message.
template <typename Request, typename Response>
std::shared_ptr<operation::Operation<Request, Response>> WithRateLimit(
    ProviderContext& context, operation::OperationId id,
    std::shared_ptr<operation::Operation<Request, Response>> inner,
    std::shared_ptr<policies::RateLimiter> limiter, std::string name) {
  auto limited = std::make_shared<policies::RateLimitedOperation<Request, Response>>(
      std::move(inner), std::move(limiter), context.scheduler, std::move(name));
  limited->set_observer(&context.observer.For(id));
  return limited;
}

// What ProviderRegistry::delete_turns holds for a delete limited by
// `limiter` (the one given to WithRateLimit).
inline operation::ProviderRegistry::TakeTurn TurnsOf(
    ProviderContext& context, std::shared_ptr<policies::RateLimiter> limiter) {
  return [limiter = std::move(limiter),
          &scheduler = context.scheduler](absl::AnyInvocable<void(absl::Duration) &&> done) {
    policies::TakeTurnNow(*limiter, scheduler, std::move(done));
  };
}

}  // namespace linkgateway::adapters::provider

#endif  // LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_
