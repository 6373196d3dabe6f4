// How a provider plugs into the gateway (Envoy's extension factories):
// each provider's folder has one ProviderFactory that owns its config
// section's defaults and checks, names its operations, and builds them into
// the registry. It registers itself at static-initialisation time
// (LINKGATEWAY_REGISTER_PROVIDER in its factory.cc, linked with alwayslink),
// and the composition root iterates ProviderFactories(): nothing outside the
// provider's folder names it.
#ifndef LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_FACTORY_H_
#define LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_FACTORY_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "adapters/operation/operation_id.h"
#include "adapters/provider/provider_context.h"
#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::provider {

class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;

  // The provider's config section, e.g. "imiconnect".
  virtual absl::string_view name() const = 0;
  // Its upstream operations (the keys of retry_policies).
  virtual std::vector<operation::OperationId> operations() const = 0;
  // Fills unset values of its config section with the vendor's documented
  // defaults.
  virtual void ApplyDefaults(config::v1::GatewayConfig& config) const = 0;
  // Checks its section after defaults; problems name their keys.
  virtual void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const = 0;
  // Builds its operations, wrapped in their policies, into context.registry.
  // Fails (naming the key) when a configured secret cannot be read.
  virtual absl::Status Register(ProviderContext& context) const = 0;
};

// Adds a factory (at static-initialisation time); returns true.
bool RegisterProviderFactory(std::unique_ptr<ProviderFactory> factory);

// Every registered factory, by name.
std::vector<ProviderFactory const*> ProviderFactories();

}  // namespace linkgateway::adapters::provider

#define LINKGATEWAY_REGISTER_PROVIDER(FactoryType)              \
  [[maybe_unused]] static bool const kRegistered##FactoryType = \
      ::linkgateway::adapters::provider::RegisterProviderFactory(std::make_unique<FactoryType>())

#endif  // LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_FACTORY_H_
