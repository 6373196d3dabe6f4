#include "adapters/dash_replenishment/config.h"

#include "config/config.h"

namespace linkgateway::adapters::dash_replenishment {

void ApplyDefaults(config::v1::GatewayConfig& config) {
  config::SetDefault(config.mutable_dash_replenishment()->mutable_endpoint(), kDefaultEndpoint);
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  check.Url("dash_replenishment.endpoint", config.dash_replenishment().endpoint());
}

}  // namespace linkgateway::adapters::dash_replenishment
