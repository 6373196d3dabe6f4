// Keeps health current with what the security of a call depends on: every
// service with an audited method (the deletes, unlink jobs) NOT_SERVING
// while the audit trail cannot record; every service, and the server as a
// whole (""), NOT_SERVING while a token or policy file cannot be used (it
// went missing, broken or writable by others). Looked at once at start and
// then every `interval` (1 s) on a thread of its own.
#ifndef LINKGATEWAY_SERVER_SECURITY_HEALTH_H_
#define LINKGATEWAY_SERVER_SECURITY_HEALTH_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/audit/audit_log.h"
#include "server/call/method_set.h"
#include "server/call/serving.h"
#include "server/health_service.h"
#include "server/security/token_file.h"

namespace linkgateway::server {

class SecurityHealth {
 public:
  // All must outlive this object; `tokens` and `policy` may be null (none
  // configured).
  SecurityHealth(audit::AuditLog& audit, security::TokenFile* tokens, call::PolicyFile* policy,
                 call::MethodSet const& methods, HealthService& health,
                 absl::Duration interval = absl::Seconds(1));
  ~SecurityHealth();  // stops the thread

  // Looks now (also what the thread does every interval).
  void Refresh();

 private:
  audit::AuditLog& audit_;
  security::TokenFile* const tokens_;
  call::PolicyFile* const policy_;
  HealthService& health_;
  // Each service, and whether one of its methods is audited.
  std::vector<std::pair<std::string, bool>> services_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SECURITY_HEALTH_H_
