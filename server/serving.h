// What every call needs to be served: the providers' operations, the default
// deadline, the caps on calls in flight (in total and per connection), who
// may call (authentication, authorization), the audit trail, metrics and the
// access log.
#ifndef LINKGATEWAY_SERVER_SERVING_H_
#define LINKGATEWAY_SERVER_SERVING_H_

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "adapters/shared_state/idempotency_store.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/access_log.h"
#include "server/audit/audit_log.h"
#include "server/call_limiter.h"
#include "server/connection_limiter.h"
#include "server/security/authenticator.h"
#include "server/security/authorization_policy.h"
#include "server/security/watched_file.h"

namespace linkgateway::server {

using PolicyFile = security::WatchedFile<security::AuthorizationPolicy>;

struct Serving {
  adapters::ProviderRegistry const& providers;
  // Applied to calls that arrive without a deadline.
  absl::Duration default_deadline;
  CallLimiter& limiter;
  // Calls per caller connection.
  ConnectionLimiter& connections;
  security::Authenticator const& authenticator;
  // Null: every authenticated caller may call every method.
  PolicyFile* policy;
  audit::AuditLog& audit;
  // Records of deletes with a request_id, and how long they are kept.
  core::IdempotencyStore& idempotency;
  absl::Duration idempotency_retention;
  metrics::GatewayMetrics& metrics;
  // Null: no access log.
  AccessLog* access_log;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SERVING_H_
