#include "adapters/operation/provider_registry.h"

#include "absl/strings/str_cat.h"

namespace linkgateway::adapters::operation {

std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry) {
  std::map<std::string, absl::Status> readiness;
  registry.ForEachTable([&readiness](auto const& table) {
    using Request = typename std::decay_t<decltype(table)>::RequestType;
    table.ForEach([&readiness](int target_case, std::string const& account, auto const& entry) {
      auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
      if (field == nullptr) return;
      absl::Status ready = entry.operation->Preflight();
      if (!account.empty() && !ready.ok()) {
        ready =
            absl::Status(ready.code(), absl::StrCat("account ", account, ": ", ready.message()));
      }
      auto keep = [&readiness, &ready](std::string const& key) {
        auto [it, inserted] = readiness.emplace(key, absl::OkStatus());
        if (it->second.ok()) it->second = ready;  // the first failure stays
      };
      keep(field->name());
      if (!account.empty()) keep(absl::StrCat(field->name(), ".", account));
    });
  });
  return readiness;
}

}  // namespace linkgateway::adapters::operation
