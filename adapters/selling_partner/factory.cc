// Registers the Selling Partner API's deleteSubscriptionById, once per
// configured Login with Amazon application: its grantless token, the
// documented usage plan as a client-side token bucket of its own, then
// retries (a DELETE by id may be repeated): Retrying(RateLimited(adapter)),
// so every attempt, re-authentication included, waits for its turn in the
// bucket.
#include <memory>
#include <string>
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
#include "config/rotating_secret.h"

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
    auto applications = Applications(lwa);
    auto& table = context.registry.table<Request>();
    if (applications.size() <= 1 &&
        (applications.empty() || !applications.front().application.has_client_id() ||
         !applications.front().application.has_client_secret())) {
      table.Add(Request::kSellingPartner, &ValidateDeleteSubscription,
                std::make_shared<operation::NotConfigured<Request, Response>>(
                    "selling_partner needs login_with_amazon.client_id and client_secret in the "
                    "gateway configuration"));
      return absl::OkStatus();
    }
    for (auto const& [key, application] : applications) {
      auto deletes = DeletesFor(context, key, application);
      if (!deletes.ok()) return deletes.status();
      table.Add(Request::kSellingPartner, application.name(), &ValidateDeleteSubscription,
                *std::move(deletes));
    }
    table.SetDefaultAccount(Request::kSellingPartner, lwa.default_application());
    // deleteSubscriptionById of a deleted subscription is 404 NotFound.
    context.registry.repeatable_deletes.insert("selling_partner");
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<std::shared_ptr<operation::Operation<Request, Response>>> DeletesFor(
      provider::ProviderContext& context, std::string const& key,
      config::v1::LoginWithAmazonApplication const& application) {
    std::string const& name = application.name();
    auto client_id =
        config::RotatingSecret::Load(application.client_id(), absl::StrCat(key, ".client_id"));
    if (!client_id.ok()) return client_id.status();
    auto client_secret = config::RotatingSecret::Load(application.client_secret(),
                                                      absl::StrCat(key, ".client_secret"));
    if (!client_secret.ok()) return client_secret.status();
    auth::LwaOptions options;
    options.token_endpoint = application.token_endpoint();
    // The cache is named by the client id at start-up: a token fetched
    // with a rotated one is still the application's.
    std::string const lwa_client_id = client_id->value();
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
        std::move(options), context.MeteredTransportFor(kLwaToken, name), context.scheduler);
    context.resources.push_back(tokens);
    // The first call should not wait for the token endpoint (nor see its
    // latency eat into the usage plan's spacing).
    tokens->Prefetch();

    auto const& sp = context.config.selling_partner();
    Endpoints endpoints{sp.north_america_endpoint(), sp.europe_endpoint(), sp.far_east_endpoint(),
                        sp.default_region()};
    std::shared_ptr<operation::Operation<Request, Response>> operation =
        std::make_shared<DeleteSubscription>(
            std::move(endpoints), context.MeteredTransportFor(kDeleteSubscription, name), *tokens);
    // The usage plan is per application (the LWA client), in every region.
    operation = provider::WithAccountRateLimit<Request, Response>(
        context, kDeleteSubscription, name, std::move(operation),
        sp.delete_subscription_rate_limit(), lwa_client_id,
        "Selling Partner API deleteSubscriptionById");
    return provider::WithRetries<Request, Response>(
        context, kDeleteSubscription, name, std::move(operation),
        policies::Idempotency::kIdempotent, &DeleteSubscription::AlreadyDone);
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
