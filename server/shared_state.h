// The state a gateway shares with its replicas (config shared_state): the
// Redis connection, and the idempotency records kept there, with this
// replica's own store as the fallback. Without shared_state: the in-process
// store only, and no Redis.
#ifndef LINKGATEWAY_SERVER_SHARED_STATE_H_
#define LINKGATEWAY_SERVER_SHARED_STATE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "adapters/operation/provider_factory.h"
#include "adapters/shared_state/idempotency_store.h"
#include "adapters/shared_state/memory_idempotency_store.h"
#include "adapters/shared_state/redis_client.h"
#include "adapters/shared_state/shared_idempotency_store.h"
#include "config/config.h"
#include "observability/metrics/gateway_metrics.h"

namespace linkgateway::server {

class SharedState {
 public:
  // `config` has been through PrepareConfig; `metrics` must outlive this.
  // Fails (naming the key) when the Redis password cannot be read.
  static absl::StatusOr<std::unique_ptr<SharedState>> Create(config::GatewayConfig const& config,
                                                             metrics::GatewayMetrics& metrics);

  // Null without shared_state.
  core::RedisClient* redis() { return redis_.get(); }
  // What provider factories share through (rate limits, tokens).
  adapters::SharedStateContext ForProviders() const { return providers_; }
  core::IdempotencyStore& idempotency() {
    return shared_ != nullptr ? static_cast<core::IdempotencyStore&>(*shared_) : *local_;
  }

 private:
  SharedState() = default;

  std::unique_ptr<core::RedisClient> redis_;
  std::unique_ptr<core::MemoryIdempotencyStore> local_;
  std::unique_ptr<core::SharedIdempotencyStore> shared_;
  adapters::SharedStateContext providers_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SHARED_STATE_H_
