// Registers SMS and Voice v2 DeleteRegistration, once per configured AWS
// account: SigV4 with the account's credentials (static keys or the
// credential chain, each account its own cache and refresh) for its region,
// its own rate limit, retried (a delete by id may be repeated; a repeat that
// finds the registration gone proves the first worked).
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/auth/aws_credentials_config.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"
#include "adapters/sms_voice/config.h"
#include "adapters/sms_voice/sms_voice.h"
#include "adapters/sms_voice/validation.h"

namespace linkgateway::adapters::sms_voice {
namespace {

using Request = v1::DeleteRegistrationRequest;
using Response = v1::DeleteRegistrationResponse;

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
    for (auto const& [key, account] : Accounts(sms)) {
      context.registry.table<Request>().Add(Request::kSmsVoice, account.name(),
                                            &ValidateDeleteRegistration,
                                            DeletesFor(context, account));
    }
    context.registry.table<Request>().SetDefaultAccount(Request::kSmsVoice, sms.default_account());
    // DeleteRegistration of a deleted registration is ResourceNotFound.
    context.registry.repeatable_deletes.insert("sms_voice");
    return absl::OkStatus();
  }

 private:
  static std::shared_ptr<operation::Operation<Request, Response>> DeletesFor(
      provider::ProviderContext& context, config::v1::SmsVoiceAccount const& account) {
    std::string const& name = account.name();
    std::shared_ptr<auth::AwsCredentialsProvider> credentials = auth::MakeAwsCredentials(
        account.credentials(),
        {context.MeteredTransportFor(kAwsCredentials, name), context.scheduler, account.region(),
         nullptr, [&observer = context.observer](bool ok) {
           observer.TokenFetched("aws_credentials", ok);
         }});
    context.resources.push_back(credentials);
    std::shared_ptr<operation::Operation<Request, Response>> deletes =
        std::make_shared<DeleteRegistration>(account.endpoint(), account.region(),
                                             context.MeteredTransportFor(kDeleteRegistration, name),
                                             *credentials);
    if (account.has_delete_registration_rate_limit()) {
      // The account's quota in the region, shared by every replica.
      deletes = provider::WithAccountRateLimit<Request, Response>(
          context, kDeleteRegistration, name, std::move(deletes),
          account.delete_registration_rate_limit(), account.region(),
          "SMS and Voice DeleteRegistration");
    }
    return provider::WithRetries<Request, Response>(
        context, kDeleteRegistration, name, std::move(deletes), policies::Idempotency::kIdempotent,
        &DeleteRegistration::AlreadyDone);
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::sms_voice
