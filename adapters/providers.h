// Builds every provider adapter from the gateway's configuration, wrapped in
// its decorators (rate limit, retries), over one shared libcurl transport.
#ifndef LINKGATEWAY_ADAPTERS_PROVIDERS_H_
#define LINKGATEWAY_ADAPTERS_PROVIDERS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/core/aws_credentials.h"
#include "adapters/core/curl_transport.h"
#include "adapters/core/lwa_token_source.h"
#include "adapters/provider_registry.h"
#include "config/config.h"

namespace linkgateway::adapters {

class Providers {
 public:
  // Fails (naming the config key) when a configured secret cannot be read.
  static absl::StatusOr<std::unique_ptr<Providers>> Create(config::GatewayConfig const& config);

  ProviderRegistry const& registry() const { return registry_; }
  core::CurlTransport& transport() { return *transport_; }

  // Destroying stops the transport first: every call still in flight is
  // answered (CANCELLED) while the adapters still exist.
  ~Providers();

 private:
  Providers() = default;

  std::unique_ptr<core::LwaTokenSource> grantless_tokens_;
  std::unique_ptr<core::AwsCredentialsProvider> aws_credentials_;
  ProviderRegistry registry_;
  std::unique_ptr<core::CurlTransport> transport_;
};

}  // namespace linkgateway::adapters

#endif  // LINKGATEWAY_ADAPTERS_PROVIDERS_H_
