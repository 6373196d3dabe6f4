#include "adapters/sms_voice/config.h"

#include "absl/strings/str_cat.h"
#include "adapters/auth/aws_credentials_config.h"
#include "config/config.h"

namespace linkgateway::adapters::sms_voice {

void ApplyDefaults(config::v1::GatewayConfig& config) {
  auto* sms = config.mutable_sms_voice();
  config::SetDefault(sms->mutable_region(), kDefaultRegion);
  config::SetDefault(sms->mutable_endpoint(),
                     absl::StrCat("https://sms-voice.", sms->region(), ".amazonaws.com"));
  adapters::auth::ApplyAwsCredentialsDefaults(*sms->mutable_credentials());
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& sms = config.sms_voice();
  check.Url("sms_voice.endpoint", sms.endpoint());
  adapters::auth::ValidateAwsCredentials(sms.credentials(), "sms_voice.credentials", check);
  if (sms.has_delete_registration_rate_limit()) {
    check.RateLimit("sms_voice.delete_registration_rate_limit",
                    sms.delete_registration_rate_limit());
  }
}

}  // namespace linkgateway::adapters::sms_voice
