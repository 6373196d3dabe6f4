// IMIconnect's config section: checks (no defaults: the host depends on the
// tenant's region, and the key is the tenant's).
#ifndef LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::imiconnect {

void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::imiconnect

#endif  // LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_
