#include "server/composition_root/shared_state.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/shared_state/redis_token_cache.h"
#include "adapters/shared_state/shared_rate_limiter.h"
#include "config/secrets.h"

namespace linkgateway::server::composition_root {

absl::StatusOr<std::unique_ptr<SharedState>> SharedState::Create(
    config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics) {
  std::unique_ptr<SharedState> state(new SharedState(metrics));
  state->local_ =
      std::make_unique<idempotency::MemoryIdempotencyStore>(config.idempotency().max_records());
  auto const& shared = config.shared_state();
  if (shared.address().empty()) return state;
  adapters::shared_state::RedisOptions options;
  auto colon = shared.address().rfind(':');
  options.host = shared.address().substr(0, colon);
  (void)absl::SimpleAtoi(shared.address().substr(colon + 1), &options.port);  // checked by config
  if (shared.has_password()) {
    auto password = config::ResolveSecret(shared.password(), "shared_state.password");
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  options.connect_timeout = config::ToDuration(shared.connect_timeout());
  options.command_timeout = config::ToDuration(shared.command_timeout());
  state->redis_ = std::make_unique<adapters::shared_state::RedisClient>(std::move(options));
  adapters::shared_state::RedisClient* redis = state->redis_.get();
  metrics.SetSharedStateReader([redis] { return redis->connected(); });
  state->key_prefix_ = shared.key_prefix();
  state->replicas_ = shared.replicas();
  state->shared_ = std::make_unique<idempotency::RedisIdempotencyStore>(
      *redis, shared.key_prefix(), *state->local_,
      [&metrics] { metrics.SharedStateFallback("idempotency"); });
  return state;
}

std::shared_ptr<adapters::policies::RateLimiter> SharedState::RateLimiterFor(
    adapters::operation::OperationId operation, std::string const& scope, double rate_per_second,
    int burst) {
  if (redis_ == nullptr) {
    return std::make_shared<adapters::policies::LocalRateLimiter>(
        std::make_shared<adapters::policies::TokenBucket>(rate_per_second, burst, *scheduler_));
  }
  return std::make_shared<adapters::shared_state::SharedRateLimiter>(
      *redis_, absl::StrCat(key_prefix_, "ratelimit:", operation.key(), ":", scope),
      rate_per_second, burst, replicas_, *scheduler_,
      [m = &metrics_] { m->SharedStateFallback("rate_limit"); });
}

adapters::auth::TokenCache* SharedState::TokenCacheFor(std::string const& name) {
  if (redis_ == nullptr) return nullptr;
  auto cache = std::make_shared<adapters::shared_state::RedisTokenCache>(
      *redis_, absl::StrCat(key_prefix_, "token:", name));
  token_caches_.push_back(cache);
  return cache.get();
}

}  // namespace linkgateway::server::composition_root
