#include "server/composition_root/shared_state.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "config/secrets.h"

namespace linkgateway::server::composition_root {

absl::StatusOr<std::unique_ptr<SharedState>> SharedState::Create(
    config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics) {
  std::unique_ptr<SharedState> state(new SharedState());
  state->local_ = std::make_unique<server::idempotency::MemoryIdempotencyStore>(
      config.idempotency().max_records());
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
  state->providers_ = {redis, shared.key_prefix(), shared.replicas()};
  state->shared_ = std::make_unique<server::idempotency::RedisIdempotencyStore>(
      *redis, shared.key_prefix(), *state->local_,
      [&metrics] { metrics.SharedStateFallback("idempotency"); });
  return state;
}

}  // namespace linkgateway::server::composition_root
