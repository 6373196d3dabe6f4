// The composition root: turns the configuration into the gateway's object
// graph. One libcurl transport (also the scheduler of every timer); every
// registered provider factory (adapters/operation/provider_factory.h) builds
// its operations, wrapped in their policies, into the registry the services
// dispatch through. Nothing here names a provider.
#ifndef LINKGATEWAY_SERVER_COMPOSITION_ROOT_COMPOSITION_ROOT_H_
#define LINKGATEWAY_SERVER_COMPOSITION_ROOT_COMPOSITION_ROOT_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "adapters/operation/provider_registry.h"
#include "adapters/provider/provider_context.h"
#include "adapters/transport/curl_transport.h"
#include "config/config.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/composition_root/shared_state.h"

namespace linkgateway::server::composition_root {

// Applies every default (gateway-wide, then each provider's section) and
// checks everything, retry policy keys included: one error naming every bad
// key, or OK.
absl::Status PrepareConfig(config::GatewayConfig& config);

class Providers {
 public:
  // `config` has been through PrepareConfig. Fails (naming the config key)
  // when a configured secret cannot be read. `metrics` must outlive the
  // providers.
  // `shared` (must outlive the providers; null: this replica's own limits)
  // says where rate limits and tokens are kept.
  static absl::StatusOr<std::unique_ptr<Providers>> Create(
      config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics,
      SharedState* shared = nullptr);

  adapters::operation::ProviderRegistry const& registry() const { return registry_; }
  adapters::transport::CurlTransport& transport() { return *transport_; }

  // Destroying stops the transport first: every call still in flight is
  // answered (CANCELLED) while the adapters still exist.
  ~Providers();

 private:
  Providers() = default;

  std::unique_ptr<adapters::provider::ProviderObserver> observer_;
  std::unique_ptr<adapters::provider::SharedLimits> own_limits_;
  std::vector<std::shared_ptr<void>> resources_;
  adapters::operation::ProviderRegistry registry_;
  std::unique_ptr<adapters::transport::CurlTransport> transport_;
};

}  // namespace linkgateway::server::composition_root

#endif  // LINKGATEWAY_SERVER_COMPOSITION_ROOT_COMPOSITION_ROOT_H_
