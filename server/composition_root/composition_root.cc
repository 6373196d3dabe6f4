#include "server/composition_root/composition_root.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/policies/retry_policy_config.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/provider/provider_factory.h"
#include "server/composition_root/provider_metrics.h"
#include "server/limits.h"
#include "server/security/listener_security.h"

namespace linkgateway::server::composition_root {
namespace {

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
  options.event_loops = upstream.event_loops();
  return options;
}

// Rate limits in this replica's memory; tokens not shared.
class LocalLimits final : public adapters::provider::SharedLimits {
 public:
  explicit LocalLimits(adapters::async::Scheduler& scheduler) : scheduler_(scheduler) {}
  std::shared_ptr<adapters::policies::RateLimiter> RateLimiterFor(adapters::operation::OperationId,
                                                                  std::string const&,
                                                                  double rate_per_second,
                                                                  int burst) override {
    return std::make_shared<adapters::policies::LocalRateLimiter>(
        std::make_shared<adapters::policies::TokenBucket>(rate_per_second, burst, scheduler_));
  }
  adapters::auth::TokenCache* TokenCacheFor(std::string const&) override { return nullptr; }

 private:
  adapters::async::Scheduler& scheduler_;
};

void CheckRetryPolicies(GatewayConfig const& config, config::Checker& check) {
  std::vector<std::string> known;
  for (auto const* factory : adapters::provider::ProviderFactories()) {
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
  for (auto const* factory : adapters::provider::ProviderFactories())
    factory->ApplyDefaults(config);
  config::Checker check(config);
  config::ValidateConfig(config, check);
  CheckLimits(config, open_files, check);
  security::CheckSecurity(config, check);
  CheckRetryPolicies(config, check);
  for (auto const* factory : adapters::provider::ProviderFactories())
    factory->Validate(config, check);
  return check.Result();
}

Providers::~Providers() { transport_.reset(); }

absl::StatusOr<std::unique_ptr<Providers>> Providers::Create(
    GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics,
    SharedState* shared) {
  std::unique_ptr<Providers> providers(new Providers());
  providers->transport_ =
      std::make_unique<adapters::transport::CurlTransport>(TransportOptions(config));
  providers->observer_ = std::make_unique<ProviderMetrics>(metrics);
  adapters::provider::SharedLimits* limits = shared;
  if (limits == nullptr) {
    providers->own_limits_ = std::make_unique<LocalLimits>(*providers->transport_);
    limits = providers->own_limits_.get();
  } else {
    shared->set_scheduler(providers->transport_.get());
  }
  adapters::provider::ProviderContext context{config,
                                              *providers->transport_,
                                              *providers->transport_,
                                              providers->registry_,
                                              providers->resources_,
                                              *providers->observer_,
                                              *limits};
  for (auto const* factory : adapters::provider::ProviderFactories()) {
    if (absl::Status status = factory->Register(context); !status.ok()) return status;
  }
  return providers;
}

}  // namespace linkgateway::server::composition_root
