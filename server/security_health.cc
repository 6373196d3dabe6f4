#include "server/security_health.h"

#include <map>

namespace linkgateway::server {

SecurityHealth::SecurityHealth(audit::AuditLog& audit, security::TokenFile* tokens,
                               call::PolicyFile* policy, call::MethodSet const& methods,
                               HealthService& health, absl::Duration interval)
    : audit_(audit), tokens_(tokens), policy_(policy), health_(health) {
  std::map<std::string, bool> audited;
  for (auto const* method : methods.All()) {
    audited[call::ServiceOf(method->path())] |= method->audited();
  }
  services_.assign(audited.begin(), audited.end());
  Refresh();
  thread_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) Refresh();
  });
}

SecurityHealth::~SecurityHealth() {
  stop_.Notify();
  thread_.join();
}

void SecurityHealth::Refresh() {
  bool const audit_ok = audit_.health().ok();
  bool const files_ok = (tokens_ == nullptr || tokens_->health().ok()) &&
                        (policy_ == nullptr || policy_->health().ok());
  health_.Set("", files_ok);
  for (auto const& [service, audited] : services_) {
    health_.Set(service, files_ok && (audit_ok || !audited));
  }
}

}  // namespace linkgateway::server
