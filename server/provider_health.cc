#include "server/provider_health.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "observability/log/log.h"

namespace linkgateway::server {

ProviderHealth::ProviderHealth(adapters::operation::ProviderRegistry const& providers,
                               HealthService& health, absl::Duration interval)
    : providers_(providers), health_(health), interval_(interval) {
  Refresh();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(interval_)) Refresh();
  });
}

ProviderHealth::~ProviderHealth() {
  stop_.Notify();
  thread_.join();
}

void ProviderHealth::Refresh() {
  for (auto& [provider, status] : adapters::operation::ProviderReadiness(providers_)) {
    auto previous = last_.find(provider);
    bool changed = previous == last_.end() || previous->second.ok() != status.ok();
    health_.Set(absl::StrCat(kProviderHealthPrefix, provider), status.ok());
    if (changed && !status.ok()) {
      observability::log::Warning("provider ", provider, " is NOT_SERVING: ", status.message());
    } else if (changed && previous != last_.end()) {
      observability::log::Info("provider ", provider, " is SERVING again");
    }
    last_[provider] = std::move(status);
  }
}

}  // namespace linkgateway::server
