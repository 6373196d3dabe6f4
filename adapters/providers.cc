#include "adapters/providers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/status_details.h"
#include "adapters/core/token_bucket.h"
#include "adapters/core/aws_credentials.h"
#include "adapters/dash_replenishment/dash_replenishment.h"
#include "adapters/imiconnect/imiconnect.h"
#include "adapters/rate_limited_operation.h"
#include "adapters/retrying_operation.h"
#include "adapters/selling_partner/selling_partner.h"
#include "adapters/sms_voice/sms_voice.h"
#include "config/secrets.h"

namespace linkgateway::adapters {
namespace {

using config::GatewayConfig;

core::CurlTransportOptions TransportOptions(GatewayConfig const& config) {
  auto const& upstream = config.upstream();
  core::CurlTransportOptions options;
  options.ca_bundle_file = upstream.ca_bundle_file();
  options.allow_plain_http = upstream.allow_plain_http();
  options.max_response_bytes = upstream.max_response_bytes();
  options.connect_timeout = config::ToDuration(upstream.connect_timeout());
  options.max_connections_per_host = upstream.max_connections_per_host();
  return options;
}

core::RetryPolicy Policy(GatewayConfig const& config, std::string const& operation) {
  auto policy = config::RetryPolicyFor(config, operation);
  core::RetryPolicy result;
  result.max_attempts = policy.max_attempts();
  result.initial_backoff = config::ToDuration(policy.initial_backoff());
  result.max_backoff = config::ToDuration(policy.max_backoff());
  result.multiplier = policy.multiplier();
  return result;
}

// Answers every call with FAILED_PRECONDITION: the provider needs settings
// the configuration does not have.
template <typename Request, typename Response>
class NotConfigured final : public Operation<Request, Response> {
 public:
  explicit NotConfigured(std::string what) : what_(std::move(what)) {}
  void Start(CallContext const&, Request const&, Callback<Response> done) override {
    std::move(done)(core::WithErrorInfo(absl::FailedPreconditionError(what_),
                                        "PROVIDER_NOT_CONFIGURED", core::kGatewayDomain));
  }

 private:
  std::string what_;
};

}  // namespace

Providers::~Providers() { transport_.reset(); }

absl::StatusOr<std::unique_ptr<Providers>> Providers::Create(GatewayConfig const& config) {
  std::unique_ptr<Providers> providers(new Providers());
  providers->transport_ = std::make_unique<core::CurlTransport>(TransportOptions(config));
  core::CurlTransport& transport = *providers->transport_;
  ProviderRegistry& registry = providers->registry_;

  // Dash Replenishment: the caller's token per request; nothing to configure.
  std::string drs = config.dash_replenishment().endpoint();
  registry.delete_registration.Add(
      v1::DeleteRegistrationRequest::kDashReplenishment,
      std::make_shared<RetryingOperation<v1::DeleteRegistrationRequest,
                                         v1::DeleteRegistrationResponse>>(
          std::make_shared<DashReplenishmentDeregistration>(drs, transport),
          Policy(config, "dash_replenishment.DeleteRegistration"),
          core::Idempotency::kIdempotent, transport,
          &DashReplenishmentDeregistration::AlreadyDone));
  registry.get_subscription_info.Add(
      v1::GetSubscriptionInfoRequest::kDashReplenishment,
      std::make_shared<RetryingOperation<v1::GetSubscriptionInfoRequest, v1::SubscriptionInfo>>(
          std::make_shared<DashReplenishmentSubscriptionInfo>(drs, transport),
          Policy(config, "dash_replenishment.GetSubscriptionInfo"),
          core::Idempotency::kIdempotent, transport));

  // Selling Partner API: a grantless token from Login with Amazon.
  using DeleteSubscription =
      Operation<v1::DeleteSubscriptionRequest, v1::DeleteSubscriptionResponse>;
  auto const& lwa = config.login_with_amazon();
  if (lwa.has_client_id() && lwa.has_client_secret()) {
    auto client_id = config::ResolveSecret(lwa.client_id(), "login_with_amazon.client_id");
    if (!client_id.ok()) return client_id.status();
    auto client_secret =
        config::ResolveSecret(lwa.client_secret(), "login_with_amazon.client_secret");
    if (!client_secret.ok()) return client_secret.status();
    core::LwaOptions options;
    options.token_endpoint = lwa.token_endpoint();
    options.client_id = *std::move(client_id);
    options.client_secret = *std::move(client_secret);
    options.scope = "sellingpartnerapi::notifications";
    providers->grantless_tokens_ =
        std::make_unique<core::LwaTokenSource>(std::move(options), transport, transport);
    // The first call should not wait for the token endpoint (nor see its
    // latency eat into the usage plan's spacing).
    providers->grantless_tokens_->Prefetch();

    auto const& sp = config.selling_partner();
    SellingPartnerEndpoints endpoints{sp.north_america_endpoint(), sp.europe_endpoint(),
                                      sp.far_east_endpoint(), sp.default_region()};
    auto limit = sp.delete_subscription_rate_limit();
    std::shared_ptr<DeleteSubscription> adapter =
        std::make_shared<SellingPartnerDeleteSubscription>(std::move(endpoints), transport,
                                                           *providers->grantless_tokens_);
    adapter = std::make_shared<
        RateLimitedOperation<v1::DeleteSubscriptionRequest, v1::DeleteSubscriptionResponse>>(
        std::move(adapter),
        std::make_shared<core::TokenBucket>(limit.requests_per_second(), limit.burst(), transport),
        transport, "Selling Partner API deleteSubscriptionById");
    registry.delete_subscription.Add(
        v1::DeleteSubscriptionRequest::kSellingPartner,
        std::make_shared<RetryingOperation<v1::DeleteSubscriptionRequest,
                                           v1::DeleteSubscriptionResponse>>(
            std::move(adapter), Policy(config, "selling_partner.DeleteSubscription"),
            core::Idempotency::kIdempotent, transport,
            &SellingPartnerDeleteSubscription::AlreadyDone));
  } else {
    registry.delete_subscription.Add(
        v1::DeleteSubscriptionRequest::kSellingPartner,
        std::make_shared<NotConfigured<v1::DeleteSubscriptionRequest,
                                       v1::DeleteSubscriptionResponse>>(
            "selling_partner needs login_with_amazon.client_id and client_secret in the "
            "gateway configuration"));
  }

  // SMS and Voice v2: SigV4 with the gateway's AWS credentials.
  auto const& sms = config.sms_voice();
  if (sms.credentials().has_file()) {
    providers->aws_credentials_ = core::MakeFileAwsCredentials(
        sms.credentials().file().path(), sms.credentials().file().profile());
  } else {
    providers->aws_credentials_ = core::MakeEnvironmentAwsCredentials();
  }
  registry.delete_registration.Add(
      v1::DeleteRegistrationRequest::kSmsVoice,
      std::make_shared<RetryingOperation<v1::DeleteRegistrationRequest,
                                         v1::DeleteRegistrationResponse>>(
          std::make_shared<SmsVoiceDeleteRegistration>(sms.endpoint(), sms.region(), transport,
                                                       *providers->aws_credentials_),
          Policy(config, "sms_voice.DeleteRegistration"), core::Idempotency::kIdempotent,
          transport, &SmsVoiceDeleteRegistration::AlreadyDone));

  // IMIconnect: the tenant's host and profile key.
  auto const& imi = config.imiconnect();
  if (!imi.base_url().empty() && imi.has_profile_key()) {
    auto key = config::ResolveSecret(imi.profile_key(), "imiconnect.profile_key");
    if (!key.ok()) return key.status();
    ImiconnectOptions options{imi.base_url(), *std::move(key)};
    // Irreversible: repeated only when it provably never left (or was refused).
    registry.delete_app_profile.Add(
        v1::DeleteAppProfileRequest::kImiconnect,
        std::make_shared<RetryingOperation<v1::DeleteAppProfileRequest,
                                           v1::DeleteAppProfileResponse>>(
            std::make_shared<ImiconnectDeleteAppProfile>(options, transport),
            Policy(config, "imiconnect.DeleteAppProfile"), core::Idempotency::kNonIdempotent,
            transport));
    registry.get_profile_transaction.Add(
        v1::GetProfileTransactionRequest::kImiconnect,
        std::make_shared<RetryingOperation<v1::GetProfileTransactionRequest,
                                           v1::ProfileTransaction>>(
            std::make_shared<ImiconnectProfileStatus>(options, transport),
            Policy(config, "imiconnect.GetProfileTransaction"), core::Idempotency::kIdempotent,
            transport));
  } else {
    std::string what =
        "imiconnect needs imiconnect.base_url and imiconnect.profile_key in the gateway "
        "configuration";
    registry.delete_app_profile.Add(
        v1::DeleteAppProfileRequest::kImiconnect,
        std::make_shared<NotConfigured<v1::DeleteAppProfileRequest,
                                       v1::DeleteAppProfileResponse>>(what));
    registry.get_profile_transaction.Add(
        v1::GetProfileTransactionRequest::kImiconnect,
        std::make_shared<NotConfigured<v1::GetProfileTransactionRequest,
                                       v1::ProfileTransaction>>(what));
  }
  return providers;
}

}  // namespace linkgateway::adapters
