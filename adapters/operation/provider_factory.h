// How a provider plugs into the gateway (Envoy's extension factories):
// each provider's folder has one ProviderFactory that owns its config
// section's defaults and checks, names its operations, and builds them into
// the registry. It registers itself at static-initialisation time
// (LINKGATEWAY_REGISTER_PROVIDER in its factory.cc, linked with alwayslink),
// and the composition root iterates ProviderFactories(): nothing outside the
// provider's folder names it.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_FACTORY_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/token_cache.h"
#include "adapters/policies/rate_limiter.h"
#include "adapters/shared_state/redis_client.h"
#include "adapters/operation/operation_id.h"
#include "adapters/operation/provider_registry.h"
#include "adapters/transport/http.h"
#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"
#include "observability/metrics/gateway_metrics.h"

namespace linkgateway::adapters::operation {

// The state replicas share (config shared_state); redis is null without it.
struct SharedStateContext {
  adapters::shared_state::RedisClient* redis = nullptr;
  std::string key_prefix;
  int replicas = 1;
};

// What a factory builds its operations with.
struct ProviderContext {
  config::v1::GatewayConfig const& config;  // defaults applied, checked
  adapters::transport::HttpTransport& transport;
  adapters::async::Scheduler& scheduler;
  ProviderRegistry& registry;
  // Objects the operations refer to (token sources, credentials); they live
  // as long as the registry.
  std::vector<std::shared_ptr<void>>& resources;
  // Where operations count their requests, retries, waits and token fetches.
  observability::metrics::GatewayMetrics& metrics;
  SharedStateContext shared = {};

  // The shared transport, counted and timed as `operation`'s requests
  // (metrics); the decorator lives with the resources.
  adapters::transport::HttpTransport& MeteredTransportFor(OperationId operation);
  observability::metrics::UpstreamSeries& MetricsFor(OperationId operation) {
    return metrics.Upstream(operation.provider(), operation.rpc());
  }

  // The usage plan of `operation` for `scope` (e.g. the application it is
  // called for): shared by every replica when shared state is configured,
  // else this gateway's own bucket.
  std::shared_ptr<adapters::policies::RateLimiter> RateLimiterFor(OperationId operation,
                                                                  std::string const& scope,
                                                                  double rate_per_second,
                                                                  int burst);

  // A token cache shared by every replica under `name` (e.g. the LWA client
  // and scope), or null without shared state; it lives with the resources.
  adapters::auth::TokenCache* TokenCacheFor(std::string const& name);
};

class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;

  // The provider's config section, e.g. "imiconnect".
  virtual absl::string_view name() const = 0;
  // Its upstream operations (the keys of retry_policies).
  virtual std::vector<OperationId> operations() const = 0;
  // Fills unset values of its config section with the vendor's documented
  // defaults.
  virtual void ApplyDefaults(config::v1::GatewayConfig& config) const = 0;
  // Checks its section after defaults; problems name their keys.
  virtual void Validate(config::v1::GatewayConfig const& config,
                        config::Checker& check) const = 0;
  // Builds its operations, wrapped in their policies, into context.registry.
  // Fails (naming the key) when a configured secret cannot be read.
  virtual absl::Status Register(ProviderContext& context) const = 0;
};

// Adds a factory (at static-initialisation time); returns true.
bool RegisterProviderFactory(std::unique_ptr<ProviderFactory> factory);

// Every registered factory, by name.
std::vector<ProviderFactory const*> ProviderFactories();

}  // namespace linkgateway::adapters::operation

#define LINKGATEWAY_REGISTER_PROVIDER(FactoryType)              \
  [[maybe_unused]] static bool const kRegistered##FactoryType = \
      ::linkgateway::adapters::operation::RegisterProviderFactory(std::make_unique<FactoryType>())

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_FACTORY_H_
