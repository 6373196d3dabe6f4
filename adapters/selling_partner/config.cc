#include "adapters/selling_partner/config.h"

#include "adapters/auth/lwa_token_source.h"
#include "config/config.h"

namespace linkgateway::adapters::selling_partner {

void ApplyDefaults(config::v1::GatewayConfig& config) {
  config::SetDefault(config.mutable_login_with_amazon()->mutable_token_endpoint(),
                     adapters::auth::kDefaultLwaTokenEndpoint);
  auto* sp = config.mutable_selling_partner();
  config::SetDefault(sp->mutable_north_america_endpoint(), kNorthAmericaEndpoint);
  config::SetDefault(sp->mutable_europe_endpoint(), kEuropeEndpoint);
  config::SetDefault(sp->mutable_far_east_endpoint(), kFarEastEndpoint);
  if (sp->default_region() == v1::SELLING_PARTNER_REGION_UNSPECIFIED) {
    sp->set_default_region(v1::SELLING_PARTNER_REGION_NORTH_AMERICA);
  }
  auto* limit = sp->mutable_delete_subscription_rate_limit();
  if (limit->requests_per_second() == 0) limit->set_requests_per_second(kDeleteSubscriptionRate);
  if (limit->burst() == 0) limit->set_burst(kDeleteSubscriptionBurst);
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& lwa = config.login_with_amazon();
  check.Url("login_with_amazon.token_endpoint", lwa.token_endpoint());
  if (lwa.has_client_id()) check.Secret("login_with_amazon.client_id", lwa.client_id());
  if (lwa.has_client_secret()) {
    check.Secret("login_with_amazon.client_secret", lwa.client_secret());
  }
  auto const& sp = config.selling_partner();
  check.Url("selling_partner.north_america_endpoint", sp.north_america_endpoint());
  check.Url("selling_partner.europe_endpoint", sp.europe_endpoint());
  check.Url("selling_partner.far_east_endpoint", sp.far_east_endpoint());
  check.RateLimit("selling_partner.delete_subscription_rate_limit",
                  sp.delete_subscription_rate_limit());
}

}  // namespace linkgateway::adapters::selling_partner
