// The state a gateway shares with its replicas (config shared_state): the
// Redis connection, the rate limits and upstream tokens kept there, and the
// idempotency records (this replica's own kept beside them). Without
// shared_state: this replica's own only, and no Redis.
//
// A Redis that refuses the password (or asks for one that is not set) at
// start-up stops the start: Create fails saying so. One that is unreachable
// does not: the gateway starts, reconnects with backoff, and health() says
// what is wrong meanwhile.
#ifndef LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_
#define LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/async/scheduler.h"
#include "adapters/provider/provider_context.h"
#include "adapters/shared_state/redis_client.h"
#include "config/config.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/idempotency/idempotency_store.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/idempotency/redis_idempotency_store.h"

namespace linkgateway::server::composition_root {

class SharedState final : public adapters::provider::SharedLimits {
 public:
  // `config` has been through PrepareConfig; `metrics` must outlive this.
  // Fails (naming the key) when the Redis password cannot be read.
  static absl::StatusOr<std::unique_ptr<SharedState>> Create(
      config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics);
  ~SharedState() override;

  // OK without shared_state, or while Redis answers and its request_id
  // records are vouched for; otherwise why not. Cheap, from any thread: the
  // dependency health "shared_state".
  absl::Status health() const;

  // Null without shared_state.
  adapters::shared_state::RedisClient* redis() { return redis_.get(); }
  idempotency::IdempotencyStore& idempotency() {
    return shared_ != nullptr ? static_cast<idempotency::IdempotencyStore&>(*shared_) : *local_;
  }

  // The scheduler rate limits wait on (the transport's); set before the
  // providers are built.
  void set_scheduler(adapters::async::Scheduler* scheduler) { scheduler_ = scheduler; }

  std::shared_ptr<adapters::policies::RateLimiter> RateLimiterFor(
      adapters::operation::OperationId operation, std::string const& scope, double rate_per_second,
      int burst) override;
  adapters::auth::TokenCache* TokenCacheFor(std::string const& name) override;

 private:
  explicit SharedState(observability::metrics::GatewayMetrics& metrics) : metrics_(metrics) {}

  observability::metrics::GatewayMetrics& metrics_;
  // Destroyed last but one (see ~SharedState): what uses Redis comes first.
  std::unique_ptr<adapters::shared_state::RedisClient> redis_;
  std::string key_prefix_;
  int replicas_ = 1;
  adapters::async::Scheduler* scheduler_ = nullptr;
  std::unique_ptr<idempotency::MemoryIdempotencyStore> local_;
  std::unique_ptr<idempotency::RedisIdempotencyStore> shared_;
  std::vector<std::shared_ptr<adapters::auth::TokenCache>> token_caches_;
};

}  // namespace linkgateway::server::composition_root

#endif  // LINKGATEWAY_SERVER_COMPOSITION_ROOT_SHARED_STATE_H_
