#include "adapters/imiconnect/config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "config/accounts.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using config::v1::ImiconnectConfig;
using config::v1::ImiconnectTenant;

bool HasTopLevelTenant(ImiconnectConfig const& imi) {
  return !imi.base_url().empty() || imi.has_profile_key() || imi.has_delete_rate_limit();
}

config::AccountSection SectionOf(ImiconnectConfig const& imi) {
  return config::SectionOf("imiconnect.tenants", imi.tenants(), HasTopLevelTenant(imi),
                           "imiconnect.default_tenant", imi.default_tenant());
}

}  // namespace

std::vector<TenantAt> Tenants(ImiconnectConfig const& imi) {
  std::vector<TenantAt> tenants;
  if (HasTopLevelTenant(imi)) {
    ImiconnectTenant top;
    top.set_name(config::kDefaultAccountName);
    top.set_base_url(imi.base_url());
    if (imi.has_profile_key()) *top.mutable_profile_key() = imi.profile_key();
    if (imi.has_delete_rate_limit()) *top.mutable_delete_rate_limit() = imi.delete_rate_limit();
    tenants.push_back({"imiconnect", std::move(top)});
  }
  for (int i = 0; i < imi.tenants_size(); ++i) {
    tenants.push_back({absl::StrCat("imiconnect.tenants[", i, "]"), imi.tenants(i)});
  }
  return tenants;
}

void ApplyDefaults(config::v1::GatewayConfig& config) {
  auto* imi = config.mutable_imiconnect();
  imi->set_default_tenant(config::DefaultAccountOf(SectionOf(*imi)));
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& imi = config.imiconnect();
  config::CheckAccounts(SectionOf(imi), check);
  for (auto const& [key, tenant] : Tenants(imi)) {
    // Alone, the top-level tenant may be left incomplete (the provider then
    // answers that it is not configured); beside named ones it may not.
    bool named = key != "imiconnect" || !imi.tenants().empty();
    if (!tenant.base_url().empty()) {
      check.Url(absl::StrCat(key, ".base_url"), tenant.base_url());
    } else if (named) {
      check.Fail(absl::StrCat(key, ".base_url"), "is required");
    }
    if (tenant.has_profile_key()) {
      check.Secret(absl::StrCat(key, ".profile_key"), tenant.profile_key());
    } else if (named) {
      check.Fail(absl::StrCat(key, ".profile_key"), "is required");
    }
    if (tenant.has_delete_rate_limit()) {
      check.RateLimit(absl::StrCat(key, ".delete_rate_limit"), tenant.delete_rate_limit());
    }
  }
}

}  // namespace linkgateway::adapters::imiconnect
