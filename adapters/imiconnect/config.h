// IMIconnect's config section: its tenants and their checks (no defaults:
// the host depends on the tenant's region, and the key is the tenant's).
#ifndef LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_

#include <string>
#include <vector>

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::imiconnect {

// One tenant and where the configuration defines it (e.g.
// "imiconnect.tenants[0]"; "imiconnect" for the tenant the top-level fields
// describe, named "default").
struct TenantAt {
  std::string key;
  config::v1::ImiconnectTenant tenant;
};

// Every tenant: the top-level one first when its base_url or profile_key is
// set, then `tenants` in order.
std::vector<TenantAt> Tenants(config::v1::ImiconnectConfig const& imi);

// The default tenant.
void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::imiconnect

#endif  // LINKGATEWAY_ADAPTERS_IMICONNECT_CONFIG_H_
