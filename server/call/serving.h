// What the pipeline serves every call with: the default deadline, the caps
// on calls in flight (in total and per connection), who may call
// (authentication, authorization), request_id records, the audit trail,
// metrics and the access log.
#ifndef LINKGATEWAY_SERVER_CALL_SERVING_H_
#define LINKGATEWAY_SERVER_CALL_SERVING_H_

#include "absl/time/time.h"
#include "observability/access_log/access_log.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/audit/audit_log.h"
#include "server/call/call_limiter.h"
#include "server/call/connection_limiter.h"
#include "server/call/refusal_budget.h"
#include "server/idempotency/idempotency_store.h"
#include "server/security/authenticator.h"
#include "server/security/authorization_policy.h"
#include "server/security/watched_file.h"

namespace linkgateway::server::call {

using PolicyFile = security::WatchedFile<security::AuthorizationPolicy>;

struct Serving {
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
  idempotency::IdempotencyStore& idempotency;
  absl::Duration idempotency_retention;
  observability::metrics::GatewayMetrics& metrics;
  // Null: no access log.
  observability::access_log::AccessLog* access_log;
  // How many records of refused calls each peer may have written.
  RefusalBudget& refusals;
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_SERVING_H_
