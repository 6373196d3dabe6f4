// Registers IMIconnect's delete app profile (irreversible and queued: repeated
// only when it provably never left, or was explicitly refused) and profile
// transaction status (a GET: retried), once per configured tenant: its base
// URL, profile key and rate limit.
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/imiconnect/config.h"
#include "adapters/imiconnect/imiconnect.h"
#include "adapters/imiconnect/validation.h"
#include "adapters/operation/not_configured.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/provider/with_policies.h"
#include "config/rotating_secret.h"

namespace linkgateway::adapters::imiconnect {
namespace {

constexpr operation::OperationId kDeleteAppProfile{"imiconnect", "DeleteAppProfile"};
constexpr operation::OperationId kGetProfileTransaction{"imiconnect", "GetProfileTransaction"};

using DeleteRequest = v1::DeleteAppProfileRequest;
using DeleteResponse = v1::DeleteAppProfileResponse;
using StatusRequest = v1::GetProfileTransactionRequest;
using StatusOperation = operation::Operation<StatusRequest, v1::ProfileTransaction>;

// Reads a transaction's state at the tenant its delete was sent to.
operation::FollowUp FollowUpOf(std::map<std::string, std::shared_ptr<StatusOperation>> readers,
                               std::string default_tenant) {
  operation::FollowUp follow_up;
  follow_up.id_of = [](google::protobuf::Message const& response) -> std::string {
    if (response.GetDescriptor() != DeleteResponse::descriptor()) return "";
    return static_cast<DeleteResponse const&>(response).imiconnect().transaction_id();
  };
  follow_up.read = [readers = std::move(readers), default_tenant = std::move(default_tenant)](
                       operation::CallContext const& context, std::string const& account,
                       std::string const& id, operation::FollowUp::StateCallback done) {
    auto reader = readers.find(account.empty() ? default_tenant : account);
    if (reader == readers.end()) {
      return std::move(done)(absl::FailedPreconditionError(
          absl::StrCat("imiconnect has no tenant named \"", account, "\" any more")));
    }
    StatusRequest request;
    request.mutable_imiconnect()->set_transaction_id(id);
    request.mutable_imiconnect()->set_account(account);
    reader->second->Start(
        context, request,
        [done = std::move(done)](absl::StatusOr<v1::ProfileTransaction> transaction) mutable {
          if (!transaction.ok()) return std::move(done)(transaction.status());
          auto const& status = transaction->imiconnect();
          std::move(done)(
              operation::FollowUp::State{status.state(), status.code(), status.description()});
        });
  };
  follow_up.read_rpc = "GetProfileTransaction";
  return follow_up;
}

class Factory final : public provider::ProviderFactory {
 public:
  absl::string_view name() const override { return "imiconnect"; }
  std::vector<operation::OperationId> operations() const override {
    return {kDeleteAppProfile, kGetProfileTransaction};
  }
  void ApplyDefaults(config::v1::GatewayConfig& config) const override {
    imiconnect::ApplyDefaults(config);
  }
  void Validate(config::v1::GatewayConfig const& config, config::Checker& check) const override {
    imiconnect::Validate(config, check);
  }

  absl::Status Register(provider::ProviderContext& context) const override {
    auto const& imi = context.config.imiconnect();
    auto& registry = context.registry;
    auto tenants = Tenants(imi);
    auto const& only = tenants.empty() ? config::v1::ImiconnectTenant() : tenants.front().tenant;
    if (tenants.size() <= 1 && (only.base_url().empty() || !only.has_profile_key())) {
      std::string what =
          "imiconnect needs imiconnect.base_url and imiconnect.profile_key in the gateway "
          "configuration";
      registry.table<DeleteRequest>().Add(
          DeleteRequest::kImiconnect, &ValidateDeleteAppProfile,
          std::make_shared<operation::NotConfigured<DeleteRequest, DeleteResponse>>(what));
      registry.table<StatusRequest>().Add(
          StatusRequest::kImiconnect, &ValidateGetProfileTransaction,
          std::make_shared<operation::NotConfigured<StatusRequest, v1::ProfileTransaction>>(what));
      return absl::OkStatus();
    }
    std::map<std::string, std::shared_ptr<StatusOperation>> readers;
    for (auto const& [key, tenant] : tenants) {
      std::string const& name = tenant.name();
      auto profile_key =
          config::RotatingSecret::Load(tenant.profile_key(), absl::StrCat(key, ".profile_key"));
      if (!profile_key.ok()) return profile_key.status();
      Options options{tenant.base_url(), *std::move(profile_key)};
      std::shared_ptr<operation::Operation<DeleteRequest, DeleteResponse>> deletes =
          std::make_shared<DeleteAppProfile>(options,
                                             context.MeteredTransportFor(kDeleteAppProfile, name));
      std::shared_ptr<StatusOperation> reads = std::make_shared<GetProfileTransaction>(
          options, context.MeteredTransportFor(kGetProfileTransaction, name));
      if (tenant.has_delete_rate_limit()) {
        // The tenant's transactions per second, shared by every replica. The
        // Profile API counts every call against it: status reads take turns too.
        auto limiter = provider::AccountRateLimiter(context, kDeleteAppProfile, name,
                                                    tenant.delete_rate_limit(), tenant.base_url());
        deletes = provider::WithRateLimit<DeleteRequest, DeleteResponse>(
            context, kDeleteAppProfile, name, std::move(deletes), limiter,
            provider::ForAccount("IMIconnect DeleteAppProfile", name));
        reads = provider::WithRateLimit<StatusRequest, v1::ProfileTransaction>(
            context, kGetProfileTransaction, name, std::move(reads), std::move(limiter),
            provider::ForAccount("IMIconnect GetProfileTransaction", name));
      }
      registry.table<DeleteRequest>().Add(DeleteRequest::kImiconnect, name,
                                          &ValidateDeleteAppProfile,
                                          provider::WithRetries<DeleteRequest, DeleteResponse>(
                                              context, kDeleteAppProfile, name, std::move(deletes),
                                              policies::Idempotency::kNonIdempotent));
      auto read_state = provider::WithRetries<StatusRequest, v1::ProfileTransaction>(
          context, kGetProfileTransaction, name, std::move(reads),
          policies::Idempotency::kIdempotent);
      registry.table<StatusRequest>().Add(StatusRequest::kImiconnect, name,
                                          &ValidateGetProfileTransaction, read_state);
      readers[name] = std::move(read_state);
    }
    registry.table<DeleteRequest>().SetDefaultAccount(DeleteRequest::kImiconnect,
                                                      imi.default_tenant());
    registry.table<StatusRequest>().SetDefaultAccount(StatusRequest::kImiconnect,
                                                      imi.default_tenant());
    // A delete is queued as a transaction: unlink jobs follow it to its end,
    // at the tenant it was sent to.
    registry.follow_ups["imiconnect"] = FollowUpOf(std::move(readers), imi.default_tenant());
    return absl::OkStatus();
  }
};

LINKGATEWAY_REGISTER_PROVIDER(Factory);

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
