// The audit trail's state as metrics: linkgateway_audit_ready (1 while
// destructive calls can be recorded, 0 from a failed write until the trail
// is written again) and linkgateway_audit_files_kept_for_retention (files
// rotation kept beyond max_files because they are younger than
// min_retention: an alarm when above 0).
#ifndef LINKGATEWAY_SERVER_AUDIT_AUDIT_METRICS_H_
#define LINKGATEWAY_SERVER_AUDIT_AUDIT_METRICS_H_

#include "observability/metrics/registry.h"
#include "server/audit/audit_log.h"

namespace linkgateway::server::audit {

// Adds the two gauges to `registry`, read from `log`'s shared state when
// scraped (safe after the log is gone). Once per registry.
void ExportAuditMetrics(observability::metrics::Registry& registry, AuditLog const& log);

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_AUDIT_METRICS_H_
