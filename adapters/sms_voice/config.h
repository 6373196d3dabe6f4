// SMS and Voice v2's config section: its accounts, their defaults and
// checks.
#ifndef LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_

#include <string>
#include <vector>

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::sms_voice {

inline constexpr char kDefaultRegion[] = "us-east-1";

// One account and where the configuration defines it (e.g.
// "sms_voice.accounts[1]"; "sms_voice" for the account the top-level fields
// describe, named "default").
struct AccountAt {
  std::string key;
  config::v1::SmsVoiceAccount account;
};

// Every account: the top-level one first when it exists (`accounts` is
// empty, or one of its fields is set), then `accounts` in order.
std::vector<AccountAt> Accounts(config::v1::SmsVoiceConfig const& sms);

// Per account: the region default, the regional endpoint
// (https://sms-voice.{region}.amazonaws.com), the credentials section's
// defaults (adapters/auth/aws_credentials_config.h); and the default
// account.
void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::sms_voice

#endif  // LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_
