#include "adapters/operation/provider_registry.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace linkgateway::adapters::operation {

std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry) {
  // Each provider's account names, over all its RPCs.
  std::map<std::string, std::set<std::string>> accounts;
  registry.ForEachTable([&accounts](auto const& table) {
    using Request = typename std::decay_t<decltype(table)>::RequestType;
    table.ForEach([&accounts](int target_case, std::string const& account, auto const&) {
      auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
      if (field != nullptr) accounts[field->name()].insert(account);
    });
  });
  std::map<std::string, absl::Status> readiness;
  registry.ForEachTable([&readiness, &accounts](auto const& table) {
    using Request = typename std::decay_t<decltype(table)>::RequestType;
    table.ForEach([&readiness, &accounts](int target_case, std::string const& account,
                                          auto const& entry) {
      auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
      if (field == nullptr) return;
      // A provider's only account is the provider, as before accounts had
      // names: its status, and its health service, say nothing more.
      bool const several = accounts[field->name()].size() > 1;
      absl::Status ready = entry.operation->Preflight();
      if (several && !ready.ok()) {
        ready =
            absl::Status(ready.code(), absl::StrCat("account ", account, ": ", ready.message()));
      }
      auto keep = [&readiness, &ready](std::string const& key) {
        auto [it, inserted] = readiness.emplace(key, absl::OkStatus());
        if (it->second.ok()) it->second = ready;  // the first failure stays
      };
      keep(field->name());
      if (several) keep(absl::StrCat(field->name(), ".", account));
    });
  });
  return readiness;
}

}  // namespace linkgateway::adapters::operation
