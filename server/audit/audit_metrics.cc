#include "server/audit/audit_metrics.h"

#include <memory>

namespace linkgateway::server::audit {

void ExportAuditMetrics(observability::metrics::Registry& registry, AuditLog const& log) {
  std::shared_ptr<AuditLog::State const> state = log.state();
  registry.AddCallbackGauge(
      "linkgateway_audit_ready",
      "1 while destructive calls can be recorded; 0 from a failed audit write, sync or "
      "reservation until a record has been written and synced again (they are refused "
      "meanwhile).",
      [state] { return state->ready.load() ? 1.0 : 0.0; });
  registry.AddCallbackGauge(
      "linkgateway_audit_files_kept_for_retention",
      "Audit files rotation kept beyond max_files because their last record is younger than "
      "min_retention (above 0: records arrive faster than the retention allows).",
      [state] { return static_cast<double>(state->files_kept_for_retention.load()); });
}

}  // namespace linkgateway::server::audit
