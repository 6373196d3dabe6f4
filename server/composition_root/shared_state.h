// The state a gateway shares with its replicas (config shared_state): the
// Redis connection, and the idempotency records kept there, with this
// replica's own store as the fallback. Without shared_state: the in-process
// store only, and no Redis.
#ifndef LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_
#define LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "adapters/operation/provider_factory.h"
#include "adapters/shared_state/redis_client.h"
#include "config/config.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/idempotency/idempotency_store.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/idempotency/redis_idempotency_store.h"

namespace linkgateway::server::composition_root {

class SharedState {
 public:
  // `config` has been through PrepareConfig; `metrics` must outlive this.
  // Fails (naming the key) when the Redis password cannot be read.
  static absl::StatusOr<std::unique_ptr<SharedState>> Create(
      config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics);

  // Null without shared_state.
  adapters::shared_state::RedisClient* redis() { return redis_.get(); }
  // What provider factories share through (rate limits, tokens).
  adapters::operation::SharedStateContext ForProviders() const { return providers_; }
  server::idempotency::IdempotencyStore& idempotency() {
    return shared_ != nullptr ? static_cast<server::idempotency::IdempotencyStore&>(*shared_)
                              : *local_;
  }

 private:
  SharedState() = default;

  std::unique_ptr<adapters::shared_state::RedisClient> redis_;
  std::unique_ptr<server::idempotency::MemoryIdempotencyStore> local_;
  std::unique_ptr<server::idempotency::RedisIdempotencyStore> shared_;
  adapters::operation::SharedStateContext providers_;
};

}  // namespace linkgateway::server::composition_root

#endif  // LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_
