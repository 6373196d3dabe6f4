#include "adapters/operation/provider_registry.h"

namespace linkgateway::adapters::operation {
namespace {

template <typename Request, typename Response>
void Collect(OperationTable<Request, Response> const& table,
             std::map<std::string, absl::Status>& readiness) {
  table.ForEach([&readiness](int target_case, auto const& entry) {
    auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
    if (field == nullptr) return;
    auto [it, inserted] = readiness.emplace(field->name(), absl::OkStatus());
    if (!it->second.ok()) return;  // the first failure stays
    it->second = entry.operation->Preflight();
  });
}

}  // namespace

std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry) {
  std::map<std::string, absl::Status> readiness;
  Collect(registry.delete_registration, readiness);
  Collect(registry.get_subscription_info, readiness);
  Collect(registry.delete_subscription, readiness);
  Collect(registry.delete_app_profile, readiness);
  Collect(registry.get_profile_transaction, readiness);
  return readiness;
}

}  // namespace linkgateway::adapters::operation
