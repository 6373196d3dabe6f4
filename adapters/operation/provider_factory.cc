#include "adapters/operation/provider_factory.h"

#include <algorithm>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "adapters/shared_state/redis_token_cache.h"
#include "adapters/shared_state/shared_rate_limiter.h"
#include "adapters/transport/metered_transport.h"

namespace linkgateway::adapters::operation {
namespace {

struct Factories {
  absl::Mutex mu;
  std::vector<std::unique_ptr<ProviderFactory>> all ABSL_GUARDED_BY(mu);
};

Factories& Registered() {
  // Never destroyed: factories may be looked up during static destruction.
  static Factories* const factories = new Factories();
  return *factories;
}

}  // namespace

adapters::transport::HttpTransport& ProviderContext::MeteredTransportFor(OperationId operation) {
  auto metered =
      std::make_shared<adapters::transport::MeteredTransport>(transport, MetricsFor(operation));
  resources.push_back(metered);
  return *metered;
}

std::shared_ptr<adapters::policies::RateLimiter> ProviderContext::RateLimiterFor(
    OperationId operation, std::string const& scope, double rate_per_second, int burst) {
  if (shared.redis == nullptr) {
    return std::make_shared<adapters::policies::LocalRateLimiter>(
        std::make_shared<adapters::policies::TokenBucket>(rate_per_second, burst, scheduler));
  }
  return std::make_shared<adapters::shared_state::SharedRateLimiter>(
      *shared.redis, absl::StrCat(shared.key_prefix, "ratelimit:", operation.key(), ":", scope),
      rate_per_second, burst, shared.replicas, scheduler,
      [m = &metrics] { m->SharedStateFallback("rate_limit"); });
}

adapters::auth::TokenCache* ProviderContext::TokenCacheFor(std::string const& name) {
  if (shared.redis == nullptr) return nullptr;
  auto cache = std::make_shared<adapters::shared_state::RedisTokenCache>(
      *shared.redis, absl::StrCat(shared.key_prefix, "token:", name));
  resources.push_back(cache);
  return cache.get();
}

bool RegisterProviderFactory(std::unique_ptr<ProviderFactory> factory) {
  Factories& factories = Registered();
  absl::MutexLock lock(&factories.mu);
  factories.all.push_back(std::move(factory));
  return true;
}

std::vector<ProviderFactory const*> ProviderFactories() {
  Factories& factories = Registered();
  absl::MutexLock lock(&factories.mu);
  std::vector<ProviderFactory const*> result;
  for (auto const& factory : factories.all) result.push_back(factory.get());
  std::sort(result.begin(), result.end(),
            [](auto const* a, auto const* b) { return a->name() < b->name(); });
  return result;
}

}  // namespace linkgateway::adapters::operation
