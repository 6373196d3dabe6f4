#include "adapters/imiconnect/config.h"

namespace linkgateway::adapters::imiconnect {

void Validate(config::v1::GatewayConfig const& config, config::Checker& check) {
  auto const& imi = config.imiconnect();
  if (!imi.base_url().empty()) check.Url("imiconnect.base_url", imi.base_url());
  if (imi.has_profile_key()) check.Secret("imiconnect.profile_key", imi.profile_key());
  if (imi.has_delete_rate_limit()) {
    check.RateLimit("imiconnect.delete_rate_limit", imi.delete_rate_limit());
  }
}

}  // namespace linkgateway::adapters::imiconnect
