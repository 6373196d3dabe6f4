#include "adapters/operation/provider_registry.h"

namespace linkgateway::adapters::operation {

std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry) {
  std::map<std::string, absl::Status> readiness;
  registry.ForEachTable([&readiness](auto const& table) {
    using Request = typename std::decay_t<decltype(table)>::RequestType;
    table.ForEach([&readiness](int target_case, auto const& entry) {
      auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
      if (field == nullptr) return;
      auto [it, inserted] = readiness.emplace(field->name(), absl::OkStatus());
      if (!it->second.ok()) return;  // the first failure stays
      it->second = entry.operation->Preflight();
    });
  });
  return readiness;
}

}  // namespace linkgateway::adapters::operation
