// What a provider's factory builds its operations with: the configuration,
// the shared transport and scheduler, the registry to fill, and interfaces
// for what the composition root decides (where rate limits and tokens are
// kept, where what happens is counted). Nothing here names Redis or the
// metrics registry.
#ifndef LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_CONTEXT_H_
#define LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_CONTEXT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/token_cache.h"
#include "adapters/operation/operation_id.h"
#include "adapters/operation/provider_registry.h"
#include "adapters/policies/policy_observer.h"
#include "adapters/policies/rate_limiter.h"
#include "adapters/transport/exchange_observer.h"
#include "adapters/transport/http.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::provider {

// What one upstream operation reports: its exchanges and its policies'
// retries and waits.
class OperationObserver : public transport::ExchangeObserver, public policies::PolicyObserver {};

// Where operations report (the gateway's metrics, in the composition root).
class ProviderObserver {
 public:
  virtual ~ProviderObserver() = default;
  // `operation` as called for `account` (a provider's named account, ""
  // when it has none). Lives as long as the observer.
  virtual OperationObserver& For(operation::OperationId operation, absl::string_view account) = 0;
  // A token fetch from `source` (e.g. "login_with_amazon") and its result.
  virtual void TokenFetched(absl::string_view source, bool ok) = 0;
  // Shared state was unreachable and `what` ("rate_limit", "token") fell
  // back to this replica's own.
  virtual void SharedStateFallback(absl::string_view what) = 0;
};

// Where rate limits and tokens are kept: this replica's memory, or state
// every replica shares (the composition root's choice).
class SharedLimits {
 public:
  virtual ~SharedLimits() = default;
  // The usage plan of `operation` for `scope` (e.g. the application it is
  // called for).
  virtual std::shared_ptr<policies::RateLimiter> RateLimiterFor(operation::OperationId operation,
                                                                std::string const& scope,
                                                                double rate_per_second,
                                                                int burst) = 0;
  // A token cache shared by every replica under `name` (e.g. the LWA client
  // and scope), or null when tokens are not shared; it lives as long as
  // this object.
  virtual auth::TokenCache* TokenCacheFor(std::string const& name) = 0;
};

struct ProviderContext {
  config::v1::GatewayConfig const& config;  // defaults applied, checked
  transport::HttpTransport& transport;
  async::Scheduler& scheduler;
  operation::ProviderRegistry& registry;
  // Objects the operations refer to (token sources, credentials); they live
  // as long as the registry.
  std::vector<std::shared_ptr<void>>& resources;
  ProviderObserver& observer;
  SharedLimits& limits;

  // The shared transport, reporting as `operation`'s requests for
  // `account` ("" when the provider has no accounts); the decorator lives
  // with the resources.
  transport::HttpTransport& MeteredTransportFor(operation::OperationId operation,
                                                absl::string_view account = "");
};

}  // namespace linkgateway::adapters::provider

#endif  // LINKGATEWAY_ADAPTERS_PROVIDER_PROVIDER_CONTEXT_H_
