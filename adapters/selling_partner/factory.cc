// Registers the Selling Partner API's deleteSubscriptionById: a grantless
// Login with Amazon token, the documented usage plan as a client-side token
// bucket, then retries (a DELETE by id may be repeated):
// Retrying(RateLimited(adapter)), so every attempt, re-authentication
// included, waits for its turn in the bucket.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/auth/lwa_token_source.h"
#include "adapters/operation/not_configured.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"
#include "adapters/selling_partner/config.h"
#include "adapters/selling_partner/selling_partner.h"
#include "adapters/selling_partner/validation.h"
#include "config/secrets.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using Request = v1::DeleteSubscriptionRequest;
using Response = v1::DeleteSubscriptionResponse;

constexpr operation::OperationId kDeleteSubscription{"selling_partner", "DeleteSubscription"};
// The grantless token requests, as they appear in the upstream metrics.
constexpr operation::OperationId kLwaToken{"login_with_amazon", "Token"};

class Factory final : public provider::ProviderFactory {
 public:
  absl::string_view name() const override { return "selling_partner"; }
  std::vector<operation::OperationId> operations() const override { return {kDeleteSubscription}; }
  void ApplyDefaults(config::v1::GatewayConfig& config) const override {
    selling_partner::ApplyDefaults(config);
  }
  void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const override {
    selling_partner::Validate(config, check);
  }

  absl::Status Register(provider::ProviderContext& context) const override {
    auto const& lwa = context.config.login_with_amazon();
    if (!lwa.has_client_id() || !lwa.has_client_secret()) {
      context.registry.table<v1::DeleteSubscriptionRequest>().Add(
          Request::kSellingPartner, &ValidateDeleteSubscription,
          std::make_shared<operation::NotConfigured<Request, Response>>(
              "selling_partner needs login_with_amazon.client_id and client_secret in the "
              "gateway configuration"));
      return absl::OkStatus();
    }
    auto client_id = config::ResolveSecret(lwa.client_id(), "login_with_amazon.client_id");
    if (!client_id.ok()) return client_id.status();
    auto client_secret =
        config::ResolveSecret(lwa.client_secret(), "login_with_amazon.client_secret");
    if (!client_secret.ok()) return client_secret.status();
    auth::LwaOptions options;
    options.token_endpoint = lwa.token_endpoint();
    std::string const lwa_client_id = *client_id;
    options.client_id = *std::move(client_id);
    options.client_secret = *std::move(client_secret);
    options.scope = "sellingpartnerapi::notifications";
    options.on_fetch = [&observer = context.observer](bool ok) {
      observer.TokenFetched("login_with_amazon", ok);
    };
    // One grantless token for every replica, when they share state.
    options.cache =
        context.limits.TokenCacheFor(absl::StrCat("lwa:", lwa_client_id, ":", options.scope));
    options.on_cache_fallback = [&observer = context.observer] {
      observer.SharedStateFallback("token");
    };
    auto tokens = std::make_shared<auth::LwaTokenSource>(
        std::move(options), context.MeteredTransportFor(kLwaToken), context.scheduler);
    context.resources.push_back(tokens);
    // The first call should not wait for the token endpoint (nor see its
    // latency eat into the usage plan's spacing).
    tokens->Prefetch();

    auto const& sp = context.config.selling_partner();
    Endpoints endpoints{sp.north_america_endpoint(), sp.europe_endpoint(), sp.far_east_endpoint(),
                        sp.default_region()};
    auto limit = sp.delete_subscription_rate_limit();
    std::shared_ptr<operation::Operation<Request, Response>> operation =
        std::make_shared<DeleteSubscription>(
            std::move(endpoints), context.MeteredTransportFor(kDeleteSubscription), *tokens);
    // The usage plan is per application (the LWA client), in every region.
    auto limiter = context.limits.RateLimiterFor(kDeleteSubscription, lwa_client_id,
                                                 limit.requests_per_second(), limit.burst());
    operation = provider::WithRateLimit<Request, Response>(
        context, kDeleteSubscription, std::move(operation), limiter,
        "Selling Partner API deleteSubscriptionById");
    context.registry.delete_turns["selling_partner"] = provider::TurnsOf(context, limiter);
    context.registry.table<v1::DeleteSubscriptionRequest>().Add(
        Request::kSellingPartner, &ValidateDeleteSubscription,
        provider::WithRetries<Request, Response>(context, kDeleteSubscription, std::move(operation),
                                                 policies::Idempotency::kIdempotent,
                                                 &DeleteSubscription::AlreadyDone));
    // deleteSubscriptionById of a deleted subscription is 404 NotFound.
    context.registry.repeatable_deletes.insert("selling_partner");
    return absl::OkStatus();
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
