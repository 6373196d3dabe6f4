// The Selling Partner API's config sections: selling_partner and the
// login_with_amazon application its grantless token comes from.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::selling_partner {

// Regional endpoints and the documented usage plan of deleteSubscriptionById.
inline constexpr char kNorthAmericaEndpoint[] = "https://sellingpartnerapi-na.amazon.com";
inline constexpr char kEuropeEndpoint[] = "https://sellingpartnerapi-eu.amazon.com";
inline constexpr char kFarEastEndpoint[] = "https://sellingpartnerapi-fe.amazon.com";
inline constexpr double kDeleteSubscriptionRate = 1.0;  // requests per second
inline constexpr int kDeleteSubscriptionBurst = 5;

void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::selling_partner

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_
