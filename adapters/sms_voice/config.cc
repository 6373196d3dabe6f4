#include "adapters/sms_voice/config.h"

#include "absl/strings/str_cat.h"
#include "config/config.h"

namespace linkgateway::adapters::sms_voice {

void ApplyDefaults(config::v1::GatewayConfig& config) {
  auto* sms = config.mutable_sms_voice();
  config::SetDefault(sms->mutable_region(), kDefaultRegion);
  config::SetDefault(sms->mutable_endpoint(),
                     absl::StrCat("https://sms-voice.", sms->region(), ".amazonaws.com"));
  if (sms->credentials().source_case() == config::v1::AwsCredentials::SOURCE_NOT_SET) {
    sms->mutable_credentials()->set_from_environment(true);
  }
  if (sms->credentials().has_file()) {
    config::SetDefault(sms->mutable_credentials()->mutable_file()->mutable_profile(), "default");
  }
}

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& sms = config.sms_voice();
  check.Url("sms_voice.endpoint", sms.endpoint());
  if (sms.credentials().has_file() && sms.credentials().file().path().empty()) {
    check.Fail("sms_voice.credentials.file.path", "is required");
  }
}

}  // namespace linkgateway::adapters::sms_voice
