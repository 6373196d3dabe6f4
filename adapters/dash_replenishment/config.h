// Dash Replenishment's config section: defaults and checks.
#ifndef LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_CONFIG_H_

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::dash_replenishment {

// The documented base URL (no EU/FE host is documented).
inline constexpr char kDefaultEndpoint[] = "https://dash-replenishment-service-na.amazon.com";

void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::dash_replenishment

#endif  // LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_CONFIG_H_
