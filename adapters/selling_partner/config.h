// The Selling Partner API's config sections: selling_partner and the
// login_with_amazon applications its grantless tokens come from.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_

#include <string>
#include <vector>

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::selling_partner {

// Regional endpoints and the documented usage plan of deleteSubscriptionById.
inline constexpr char kNorthAmericaEndpoint[] = "https://sellingpartnerapi-na.amazon.com";
inline constexpr char kEuropeEndpoint[] = "https://sellingpartnerapi-eu.amazon.com";
inline constexpr char kFarEastEndpoint[] = "https://sellingpartnerapi-fe.amazon.com";
inline constexpr double kDeleteSubscriptionRate = 1.0;  // requests per second
inline constexpr int kDeleteSubscriptionBurst = 5;

// One Login with Amazon application and where the configuration defines it
// (e.g. "login_with_amazon.applications[0]"; "login_with_amazon" for the
// application the top-level fields describe, named "default").
struct ApplicationAt {
  std::string key;
  config::v1::LoginWithAmazonApplication application;
};

// Every application: the top-level one first when its client_id or
// client_secret is set, then `applications` in order (token endpoints
// defaulted to login_with_amazon.token_endpoint).
std::vector<ApplicationAt> Applications(config::v1::LoginWithAmazonConfig const& lwa);

void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::selling_partner

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_CONFIG_H_
