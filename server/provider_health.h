// Keeps each provider's health (service "linkgateway.provider.<name>", e.g.
// "linkgateway.provider.sms_voice") current: NOT_SERVING while the provider
// is not configured or its credentials cannot be loaded or were rejected
// (adapters::operation::ProviderReadiness), SERVING otherwise. Looked at once at start
// and then every `interval` (1 s) on a thread of its own; changes are logged.
#ifndef LINKGATEWAY_SERVER_PROVIDER_HEALTH_H_
#define LINKGATEWAY_SERVER_PROVIDER_HEALTH_H_

#include <map>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "server/health_service.h"

namespace linkgateway::server {

inline constexpr char kProviderHealthPrefix[] = "linkgateway.provider.";

class ProviderHealth {
 public:
  // Both must outlive this object.
  ProviderHealth(adapters::operation::ProviderRegistry const& providers, HealthService& health,
                 absl::Duration interval = absl::Seconds(1));
  ~ProviderHealth();  // stops the thread

  // Looks now (also what the thread does every interval).
  void Refresh();

 private:
  adapters::operation::ProviderRegistry const& providers_;
  HealthService& health_;
  absl::Duration const interval_;
  std::map<std::string, absl::Status> last_;  // only Refresh's thread touches it after start
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_PROVIDER_HEALTH_H_
