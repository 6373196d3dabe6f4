// Registers Dash Replenishment's operations: deregistration and subscription
// info, retried (a repeated deregistration cannot deregister twice). The
// caller's token comes with each request: nothing to configure but the host.
#include <memory>

#include "adapters/dash_replenishment/config.h"
#include "adapters/dash_replenishment/dash_replenishment.h"
#include "adapters/dash_replenishment/validation.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"

namespace linkgateway::adapters::dash_replenishment {
namespace {

constexpr operation::OperationId kDeleteRegistration{"dash_replenishment", "DeleteRegistration"};
constexpr operation::OperationId kGetSubscriptionInfo{"dash_replenishment", "GetSubscriptionInfo"};

class Factory final : public provider::ProviderFactory {
 public:
  absl::string_view name() const override { return "dash_replenishment"; }
  std::vector<operation::OperationId> operations() const override {
    return {kDeleteRegistration, kGetSubscriptionInfo};
  }
  void ApplyDefaults(config::v1::GatewayConfig& config) const override {
    dash_replenishment::ApplyDefaults(config);
  }
  void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const override {
    dash_replenishment::Validate(config, check);
  }

  absl::Status Register(provider::ProviderContext& context) const override {
    std::string const& endpoint = context.config.dash_replenishment().endpoint();
    context.registry.table<v1::DeleteRegistrationRequest>().Add(
        v1::DeleteRegistrationRequest::kDashReplenishment, &ValidateDeregistration,
        provider::WithRetries<v1::DeleteRegistrationRequest, v1::DeleteRegistrationResponse>(
            context, kDeleteRegistration, "",
            std::make_shared<Deregistration>(endpoint,
                                             context.MeteredTransportFor(kDeleteRegistration)),
            policies::Idempotency::kIdempotent, &Deregistration::AlreadyDone));
    context.registry.table<v1::GetSubscriptionInfoRequest>().Add(
        v1::GetSubscriptionInfoRequest::kDashReplenishment, &ValidateSubscriptionInfo,
        provider::WithRetries<v1::GetSubscriptionInfoRequest, v1::SubscriptionInfo>(
            context, kGetSubscriptionInfo, "",
            std::make_shared<GetSubscriptionInfo>(
                endpoint, context.MeteredTransportFor(kGetSubscriptionInfo)),
            policies::Idempotency::kIdempotent));
    return absl::OkStatus();
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::dash_replenishment
