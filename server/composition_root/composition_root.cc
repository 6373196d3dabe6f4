#include "server/composition_root/composition_root.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/operation/provider_factory.h"
#include "adapters/policies/retry_policy_config.h"
#include "server/limits.h"
#include "server/security/listener_security.h"

namespace linkgateway::server::composition_root {
namespace {

using adapters::operation::ProviderFactories;
using config::GatewayConfig;

// Unset upstream values keep the transport's own defaults.
adapters::transport::CurlTransportOptions TransportOptions(GatewayConfig const& config) {
  auto const& upstream = config.upstream();
  adapters::transport::CurlTransportOptions options;
  options.ca_bundle_file = upstream.ca_bundle_file();
  options.allow_plain_http = upstream.allow_plain_http();
  if (upstream.max_response_bytes() > 0) {
    options.max_response_bytes = upstream.max_response_bytes();
  }
  if (auto timeout = config::ToDuration(upstream.connect_timeout());
      timeout > absl::ZeroDuration()) {
    options.connect_timeout = timeout;
  }
  options.max_connections_per_host = upstream.max_connections_per_host();
  options.max_total_connections = upstream.max_total_connections();
  return options;
}

void CheckRetryPolicies(GatewayConfig const& config, config::Checker& check) {
  std::vector<std::string> known;
  for (auto const* factory : adapters::operation::ProviderFactories()) {
    for (auto const& operation : factory->operations()) known.push_back(operation.key());
  }
  std::sort(known.begin(), known.end());
  for (auto const& [operation, policy] : config.retry_policies()) {
    std::string key = absl::StrCat("retry_policies[\"", operation, "\"]");
    if (!std::binary_search(known.begin(), known.end(), operation)) {
      check.Fail(key, absl::StrCat("unknown operation; known: ", absl::StrJoin(known, ", ")));
      continue;
    }
    adapters::policies::CheckRetryPolicy(policy, key, check);
  }
}

}  // namespace

absl::Status PrepareConfig(GatewayConfig& config) {
  std::uint64_t open_files = CurrentOpenFileLimit();
  config::ApplyDefaults(config);
  ApplyLimitDefaults(config, open_files);
  for (auto const* factory : adapters::operation::ProviderFactories())
    factory->ApplyDefaults(config);
  config::Checker check(config);
  config::ValidateConfig(config, check);
  CheckLimits(config, open_files, check);
  security::CheckSecurity(config, check);
  CheckRetryPolicies(config, check);
  for (auto const* factory : adapters::operation::ProviderFactories())
    factory->Validate(config, check);
  return check.Result();
}

Providers::~Providers() { transport_.reset(); }

absl::StatusOr<std::unique_ptr<Providers>> Providers::Create(
    GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics,
    adapters::operation::SharedStateContext shared) {
  std::unique_ptr<Providers> providers(new Providers());
  providers->transport_ =
      std::make_unique<adapters::transport::CurlTransport>(TransportOptions(config));
  adapters::operation::ProviderContext context{config,
                                               *providers->transport_,
                                               *providers->transport_,
                                               providers->registry_,
                                               providers->resources_,
                                               metrics,
                                               std::move(shared)};
  for (auto const* factory : adapters::operation::ProviderFactories()) {
    if (absl::Status status = factory->Register(context); !status.ok()) return status;
  }
  return providers;
}

}  // namespace linkgateway::server::composition_root
