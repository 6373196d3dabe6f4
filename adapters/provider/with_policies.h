// How a factory wraps an operation in its policies, in one line: the retry
// policy configured for its OperationId, and (optionally) a rate limit, each
// reporting to that operation's observer for its account ("" when the
// provider has none).
#ifndef LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_
#define LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
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
    ProviderContext& context, operation::OperationId id, absl::string_view account,
    std::shared_ptr<operation::Operation<Request, Response>> inner,
    policies::Idempotency idempotency,
    typename policies::RetryingOperation<Request, Response>::AlreadyDone already_done = nullptr) {
  auto retrying = std::make_shared<policies::RetryingOperation<Request, Response>>(
      std::move(inner), policies::RetryPolicyFor(context.config, id), idempotency,
      context.scheduler, std::move(already_done));
  retrying->set_observer(&context.observer.For(id, account));
  return retrying;
}

// `name` names the upstream operation in the refusal's message.
template <typename Request, typename Response>
std::shared_ptr<operation::Operation<Request, Response>> WithRateLimit(
    ProviderContext& context, operation::OperationId id, absl::string_view account,
    std::shared_ptr<operation::Operation<Request, Response>> inner,
    std::shared_ptr<policies::RateLimiter> limiter, std::string name) {
  auto limited = std::make_shared<policies::RateLimitedOperation<Request, Response>>(
      std::move(inner), std::move(limiter), context.scheduler, std::move(name));
  limited->set_observer(&context.observer.For(id, account));
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

// `what` (an upstream operation's name in messages) for `account`: as it
// is for a provider's only or "default" account.
inline std::string ForAccount(absl::string_view what, absl::string_view account) {
  if (account.empty() || account == "default") return std::string(what);
  return absl::StrCat(what, " (account ", account, ")");
}

// The limiter of one of a provider's accounts (the provider is the id's,
// which is its target case's name): `limit` is kept (shared by the
// replicas) under `scope` for the only or "default" account, as before
// accounts had names, and under "<account>/<scope>" for a named one; unlink
// steps take their turns of it in the account's lane
// (ProviderRegistry::delete_turns).
inline std::shared_ptr<policies::RateLimiter> AccountRateLimiter(ProviderContext& context,
                                                                 operation::OperationId id,
                                                                 absl::string_view account,
                                                                 config::v1::RateLimit const& limit,
                                                                 absl::string_view scope) {
  std::string key = account.empty() || account == "default" ? std::string(scope)
                                                            : absl::StrCat(account, "/", scope);
  auto limiter = context.limits.RateLimiterFor(id, key, limit.requests_per_second(), limit.burst());
  context.registry.delete_turns[operation::LaneOf(id.provider(), account)] =
      TurnsOf(context, limiter);
  return limiter;
}

// WithRateLimit for the delete of one of a provider's accounts, limited by
// its AccountRateLimiter; its refusals name `what` and the account.
template <typename Request, typename Response>
std::shared_ptr<operation::Operation<Request, Response>> WithAccountRateLimit(
    ProviderContext& context, operation::OperationId id, absl::string_view account,
    std::shared_ptr<operation::Operation<Request, Response>> inner,
    config::v1::RateLimit const& limit, absl::string_view scope, absl::string_view what) {
  return WithRateLimit<Request, Response>(context, id, account, std::move(inner),
                                          AccountRateLimiter(context, id, account, limit, scope),
                                          ForAccount(what, account));
}

}  // namespace linkgateway::adapters::provider

#endif  // LINKGATEWAY_ADAPTERS_PROVIDER_WITH_POLICIES_H_
