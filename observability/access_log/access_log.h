// The access log: one line per API call (observability.access_log), as
// protobuf JSON of the call's linkgateway.audit.v1.AuditRecord or as a
// human-readable line. Unlike the audit trail it is not durable and never
// slows a call: lines are buffered and written by a thread of their own, and
// when the buffer is full (the disk or the reader of stderr cannot keep up)
// lines are dropped and counted.
#ifndef LINKGATEWAY_OBSERVABILITY_ACCESS_LOG_ACCESS_LOG_H_
#define LINKGATEWAY_OBSERVABILITY_ACCESS_LOG_ACCESS_LOG_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "linkgateway/config/v1/gateway_config.pb.h"
#include "observability/metrics/registry.h"

namespace linkgateway::observability::access_log {

// The text format's line for `record` (no newline): time, method, provider,
// outcome, latency, then key=value pairs for what is known. Values that are
// not plain are quoted with C escapes, so a line is always one line.
std::string AccessLogText(linkgateway::audit::v1::AuditRecord const& record);

class AccessLog {
 public:
  // Opens config.path for appending ("" = standard error). `dropped` counts
  // lines dropped and must outlive the log.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(config::v1::AccessLog const& config,
                                                         observability::metrics::Counter& dropped,
                                                         std::size_t max_buffered_bytes = 4 << 20);
  ~AccessLog();  // writes what is buffered, then stops

  void Write(linkgateway::audit::v1::AuditRecord const& record) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  AccessLog(int fd, bool owns_fd, bool json, observability::metrics::Counter& dropped,
            std::size_t max_bytes);
  void Run();

  int const fd_;
  bool const owns_fd_;
  bool const json_;
  observability::metrics::Counter& dropped_;
  std::size_t const max_buffered_bytes_;
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace linkgateway::observability::access_log

#endif  // LINKGATEWAY_OBSERVABILITY_ACCESS_LOG_ACCESS_LOG_H_
