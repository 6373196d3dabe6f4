// SMS and Voice v2's config section: defaults and checks.
#ifndef LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_

#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::sms_voice {

inline constexpr char kDefaultRegion[] = "us-east-1";

// Region default, the regional endpoint (https://sms-voice.{region}.amazonaws.com),
// the credentials section's defaults (adapters/auth/aws_credentials_config.h).
void ApplyDefaults(config::v1::GatewayConfig& config);
void Validate(config::v1::GatewayConfig const& config, config::Checker& check);

}  // namespace linkgateway::adapters::sms_voice

#endif  // LINKGATEWAY_ADAPTERS_SMS_VOICE_CONFIG_H_
