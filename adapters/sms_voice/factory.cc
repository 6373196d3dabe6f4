// Registers SMS and Voice v2 DeleteRegistration: SigV4 with the gateway's AWS
// credentials (static keys or the credential chain), retried (a delete by id
// may be repeated; a repeat that finds the registration gone proves the first
// worked).
#include <memory>

#include "adapters/auth/aws_credentials_config.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"
#include "adapters/sms_voice/config.h"
#include "adapters/sms_voice/sms_voice.h"
#include "adapters/sms_voice/validation.h"

namespace linkgateway::adapters::sms_voice {
namespace {

constexpr operation::OperationId kDeleteRegistration{"sms_voice", "DeleteRegistration"};
// STS and the credential endpoints, as they appear in the upstream metrics.
constexpr operation::OperationId kAwsCredentials{"aws_credentials", "Fetch"};

class Factory final : public provider::ProviderFactory {
 public:
  absl::string_view name() const override { return "sms_voice"; }
  std::vector<operation::OperationId> operations() const override { return {kDeleteRegistration}; }
  void ApplyDefaults(config::v1::GatewayConfig& config) const override {
    sms_voice::ApplyDefaults(config);
  }
  void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const override {
    sms_voice::Validate(config, check);
  }

  absl::Status Register(provider::ProviderContext& context) const override {
    auto const& sms = context.config.sms_voice();
    std::shared_ptr<auth::AwsCredentialsProvider> credentials = auth::MakeAwsCredentials(
        sms.credentials(), {context.MeteredTransportFor(kAwsCredentials), context.scheduler,
                            sms.region(), nullptr, [&observer = context.observer](bool ok) {
                              observer.TokenFetched("aws_credentials", ok);
                            }});
    context.resources.push_back(credentials);
    using Request = v1::DeleteRegistrationRequest;
    using Response = v1::DeleteRegistrationResponse;
    std::shared_ptr<operation::Operation<Request, Response>> deletes =
        std::make_shared<DeleteRegistration>(sms.endpoint(), sms.region(),
                                             context.MeteredTransportFor(kDeleteRegistration),
                                             *credentials);
    if (sms.has_delete_registration_rate_limit()) {
      // The account's quota in the region, shared by every replica.
      auto const& limit = sms.delete_registration_rate_limit();
      auto limiter = context.limits.RateLimiterFor(kDeleteRegistration, sms.region(),
                                                   limit.requests_per_second(), limit.burst());
      deletes = provider::WithRateLimit<Request, Response>(context, kDeleteRegistration,
                                                           std::move(deletes), limiter,
                                                           "SMS and Voice DeleteRegistration");
      context.registry.delete_turns["sms_voice"] = provider::TurnsOf(context, limiter);
    }
    context.registry.table<Request>().Add(
        Request::kSmsVoice, &ValidateDeleteRegistration,
        provider::WithRetries<Request, Response>(context, kDeleteRegistration, std::move(deletes),
                                                 policies::Idempotency::kIdempotent,
                                                 &DeleteRegistration::AlreadyDone));
    // DeleteRegistration of a deleted registration is ResourceNotFound.
    context.registry.repeatable_deletes.insert("sms_voice");
    return absl::OkStatus();
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
