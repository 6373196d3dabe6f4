#include "adapters/sms_voice/config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/auth/aws_credentials_config.h"
#include "config/accounts.h"
#include "config/config.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using config::v1::SmsVoiceAccount;
using config::v1::SmsVoiceConfig;

// The same before and after defaults: they fill the top-level fields only
// when this holds.
bool HasTopLevelAccount(SmsVoiceConfig const& sms) {
  return sms.accounts().empty() || !sms.region().empty() || !sms.endpoint().empty() ||
         sms.has_credentials() || sms.has_delete_registration_rate_limit();
}

void ApplyAccountDefaults(SmsVoiceAccount& account) {
  config::SetDefault(account.mutable_region(), kDefaultRegion);
  config::SetDefault(account.mutable_endpoint(),
                     absl::StrCat("https://sms-voice.", account.region(), ".amazonaws.com"));
  adapters::auth::ApplyAwsCredentialsDefaults(*account.mutable_credentials());
}

// What goes into the endpoint's host name and the signature's scope.
bool IsRegion(std::string const& region) {
  if (region.empty() || region.size() > 32) return false;
  for (char c : region) {
    auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isdigit(u) && !(u >= 'a' && u <= 'z') && c != '-') return false;
  }
  return true;
}

config::AccountSection SectionOf(SmsVoiceConfig const& sms) {
  return config::SectionOf("sms_voice.accounts", sms.accounts(), HasTopLevelAccount(sms),
                           "sms_voice.default_account", sms.default_account());
}

}  // namespace

std::vector<AccountAt> Accounts(SmsVoiceConfig const& sms) {
  std::vector<AccountAt> accounts;
  if (HasTopLevelAccount(sms)) {
    SmsVoiceAccount top;
    top.set_name(config::kDefaultAccountName);
    top.set_region(sms.region());
    top.set_endpoint(sms.endpoint());
    if (sms.has_credentials()) *top.mutable_credentials() = sms.credentials();
    if (sms.has_delete_registration_rate_limit()) {
      *top.mutable_delete_registration_rate_limit() = sms.delete_registration_rate_limit();
    }
    accounts.push_back({"sms_voice", std::move(top)});
  }
  for (int i = 0; i < sms.accounts_size(); ++i) {
    accounts.push_back({absl::StrCat("sms_voice.accounts[", i, "]"), sms.accounts(i)});
  }
  return accounts;
}

void ApplyDefaults(config::v1::GatewayConfig& config) {
  auto* sms = config.mutable_sms_voice();
  if (HasTopLevelAccount(*sms)) {
    config::SetDefault(sms->mutable_region(), kDefaultRegion);
    config::SetDefault(sms->mutable_endpoint(),
                       absl::StrCat("https://sms-voice.", sms->region(), ".amazonaws.com"));
    adapters::auth::ApplyAwsCredentialsDefaults(*sms->mutable_credentials());
  }
  for (auto& account : *sms->mutable_accounts()) ApplyAccountDefaults(account);
  sms->set_default_account(config::DefaultAccountOf(SectionOf(*sms)));
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& sms = config.sms_voice();
  config::CheckAccounts(SectionOf(sms), check);
  for (auto const& [key, account] : Accounts(sms)) {
    if (!IsRegion(account.region())) {
      check.Fail(absl::StrCat(key, ".region"),
                 "must be an AWS region name: 1 to 32 characters of a-z, 0-9 and '-'");
    }
    check.Url(absl::StrCat(key, ".endpoint"), account.endpoint());
    adapters::auth::ValidateAwsCredentials(account.credentials(), absl::StrCat(key, ".credentials"),
                                           check);
    if (account.has_delete_registration_rate_limit()) {
      check.RateLimit(absl::StrCat(key, ".delete_registration_rate_limit"),
                      account.delete_registration_rate_limit());
    }
  }
}

}  // namespace linkgateway::adapters::sms_voice
