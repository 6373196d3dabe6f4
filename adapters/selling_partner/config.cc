#include "adapters/selling_partner/config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/auth/lwa_token_source.h"
#include "config/accounts.h"
#include "config/config.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using config::v1::LoginWithAmazonApplication;
using config::v1::LoginWithAmazonConfig;

bool HasTopLevelApplication(LoginWithAmazonConfig const& lwa) {
  return lwa.has_client_id() || lwa.has_client_secret();
}

config::AccountSection SectionOf(LoginWithAmazonConfig const& lwa) {
  return config::SectionOf("login_with_amazon.applications", lwa.applications(),
                           HasTopLevelApplication(lwa), "login_with_amazon.default_application",
                           lwa.default_application());
}

}  // namespace

std::vector<ApplicationAt> Applications(LoginWithAmazonConfig const& lwa) {
  std::vector<ApplicationAt> applications;
  if (HasTopLevelApplication(lwa)) {
    LoginWithAmazonApplication top;
    top.set_name(config::kDefaultAccountName);
    if (lwa.has_client_id()) *top.mutable_client_id() = lwa.client_id();
    if (lwa.has_client_secret()) *top.mutable_client_secret() = lwa.client_secret();
    applications.push_back({"login_with_amazon", std::move(top)});
  }
  for (int i = 0; i < lwa.applications_size(); ++i) {
    applications.push_back(
        {absl::StrCat("login_with_amazon.applications[", i, "]"), lwa.applications(i)});
  }
  for (auto& [key, application] : applications) {
    config::SetDefault(application.mutable_token_endpoint(), lwa.token_endpoint());
  }
  return applications;
}

void ApplyDefaults(config::v1::GatewayConfig& config) {
  auto* lwa = config.mutable_login_with_amazon();
  config::SetDefault(lwa->mutable_token_endpoint(), adapters::auth::kDefaultLwaTokenEndpoint);
  lwa->set_default_application(config::DefaultAccountOf(SectionOf(*lwa)));
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
  config::CheckAccounts(SectionOf(lwa), check);
  for (auto const& at : Applications(lwa)) {
    std::string const& key = at.key;
    auto const& application = at.application;
    // Alone, the top-level application may be left incomplete (the
    // provider then answers that it is not configured); beside named ones
    // it may not.
    bool named = key != "login_with_amazon" || !lwa.applications().empty();
    if (key != "login_with_amazon") {
      check.Url(absl::StrCat(key, ".token_endpoint"), application.token_endpoint());
    }
    auto secret = [&](char const* field, bool set, config::v1::SecretRef const& ref) {
      if (set) {
        check.Secret(absl::StrCat(key, ".", field), ref);
      } else if (named) {
        check.Fail(absl::StrCat(key, ".", field), "is required");
      }
    };
    secret("client_id", application.has_client_id(), application.client_id());
    secret("client_secret", application.has_client_secret(), application.client_secret());
  }
  auto const& sp = config.selling_partner();
  check.Url("selling_partner.north_america_endpoint", sp.north_america_endpoint());
  check.Url("selling_partner.europe_endpoint", sp.europe_endpoint());
  check.Url("selling_partner.far_east_endpoint", sp.far_east_endpoint());
  check.RateLimit("selling_partner.delete_subscription_rate_limit",
                  sp.delete_subscription_rate_limit());
}

}  // namespace linkgateway::adapters::selling_partner
