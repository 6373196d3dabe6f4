// Registers IMIconnect's delete app profile (irreversible and queued: repeated
// only when it provably never left, or was explicitly refused) and profile
// transaction status (a GET: retried).
#include <memory>
#include <string>
#include <utility>

#include "adapters/imiconnect/config.h"
#include "adapters/imiconnect/imiconnect.h"
#include "adapters/imiconnect/validation.h"
#include "adapters/operation/not_configured.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"
#include "config/secrets.h"

namespace linkgateway::adapters::imiconnect {
namespace {

constexpr operation::OperationId kDeleteAppProfile{"imiconnect", "DeleteAppProfile"};
constexpr operation::OperationId kGetProfileTransaction{"imiconnect", "GetProfileTransaction"};

using DeleteRequest = v1::DeleteAppProfileRequest;
using DeleteResponse = v1::DeleteAppProfileResponse;
using StatusRequest = v1::GetProfileTransactionRequest;

operation::FollowUp FollowUpOf(
    std::shared_ptr<operation::Operation<StatusRequest, v1::ProfileTransaction>> read_state) {
  operation::FollowUp follow_up;
  follow_up.id_of = [](google::protobuf::Message const& response) -> std::string {
    if (response.GetDescriptor() != DeleteResponse::descriptor()) return "";
    return static_cast<DeleteResponse const&>(response).imiconnect().transaction_id();
  };
  follow_up.read = [read_state](operation::CallContext const& context, std::string const& id,
                                operation::FollowUp::StateCallback done) {
    StatusRequest request;
    request.mutable_imiconnect()->set_transaction_id(id);
    read_state->Start(
        context, request,
        [done = std::move(done)](absl::StatusOr<v1::ProfileTransaction> transaction) mutable {
          if (!transaction.ok()) return std::move(done)(transaction.status());
          auto const& status = transaction->imiconnect();
          std::move(done)(
              operation::FollowUp::State{status.state(), status.code(), status.description()});
        });
  };
  return follow_up;
}

class Factory final : public provider::ProviderFactory {
 public:
  absl::string_view name() const override { return "imiconnect"; }
  std::vector<operation::OperationId> operations() const override {
    return {kDeleteAppProfile, kGetProfileTransaction};
  }
  void ApplyDefaults(config::v1::GatewayConfig&) const override {}
  void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const override {
    imiconnect::Validate(config, check);
  }

  absl::Status Register(provider::ProviderContext& context) const override {
    auto const& imi = context.config.imiconnect();
    auto& registry = context.registry;
    if (imi.base_url().empty() || !imi.has_profile_key()) {
      std::string what =
          "imiconnect needs imiconnect.base_url and imiconnect.profile_key in the gateway "
          "configuration";
      registry.table<v1::DeleteAppProfileRequest>().Add(
          DeleteRequest::kImiconnect, &ValidateDeleteAppProfile,
          std::make_shared<operation::NotConfigured<DeleteRequest, DeleteResponse>>(what));
      registry.table<v1::GetProfileTransactionRequest>().Add(
          StatusRequest::kImiconnect, &ValidateGetProfileTransaction,
          std::make_shared<operation::NotConfigured<StatusRequest, v1::ProfileTransaction>>(what));
      return absl::OkStatus();
    }
    auto key = config::ResolveSecret(imi.profile_key(), "imiconnect.profile_key");
    if (!key.ok()) return key.status();
    Options options{imi.base_url(), *std::move(key)};
    std::shared_ptr<operation::Operation<DeleteRequest, DeleteResponse>> deletes =
        std::make_shared<DeleteAppProfile>(options, context.MeteredTransportFor(kDeleteAppProfile));
    if (imi.has_delete_rate_limit()) {
      // The tenant's transactions per second, shared by every replica.
      auto const& limit = imi.delete_rate_limit();
      auto limiter = context.limits.RateLimiterFor(kDeleteAppProfile, imi.base_url(),
                                                   limit.requests_per_second(), limit.burst());
      deletes = provider::WithRateLimit<DeleteRequest, DeleteResponse>(
          context, kDeleteAppProfile, std::move(deletes), limiter, "IMIconnect DeleteAppProfile");
      registry.delete_turns["imiconnect"] = provider::TurnsOf(context, limiter);
    }
    registry.table<v1::DeleteAppProfileRequest>().Add(
        DeleteRequest::kImiconnect, &ValidateDeleteAppProfile,
        provider::WithRetries<DeleteRequest, DeleteResponse>(
            context, kDeleteAppProfile, std::move(deletes), policies::Idempotency::kNonIdempotent));
    auto read_state = provider::WithRetries<StatusRequest, v1::ProfileTransaction>(
        context, kGetProfileTransaction,
        std::make_shared<GetProfileTransaction>(
            options, context.MeteredTransportFor(kGetProfileTransaction)),
        policies::Idempotency::kIdempotent);
    registry.table<v1::GetProfileTransactionRequest>().Add(
        StatusRequest::kImiconnect, &ValidateGetProfileTransaction, read_state);
    // A delete is queued as a transaction: unlink jobs follow it to its end.
    registry.follow_ups["imiconnect"] = FollowUpOf(std::move(read_state));
    return absl::OkStatus();
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
