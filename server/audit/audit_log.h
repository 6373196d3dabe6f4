// The audit trail's sink: AuditRecords as protobuf-JSON lines, appended to a
// file and flushed to disk (fdatasync) before a call is answered. Records
// arriving together share one flush (group commit), so durability costs one
// disk flush per batch rather than per call.
//
// Fail closed: Ready() is asked before an upstream call starts; it keeps disk
// space reserved ahead of the file's end (fallocate), so a full disk, a
// device that refuses writes or an unwritable directory is known before
// anything irreversible is sent. The file is rotated by size (path.1, ...).
//
// Without a path, records go to the log (stderr): readable, not durable.
#ifndef LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_
#define LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "linkgateway/audit/v1/audit.pb.h"

namespace linkgateway::server::audit {

class AuditLog {
 public:
  struct Options {
    std::string path;  // "" = the log (stderr)
    std::int64_t max_file_bytes = std::int64_t{100} << 20;
    int max_files = 10;
  };

  explicit AuditLog(Options options);
  ~AuditLog();  // writes what is queued, then stops

  bool durable() const { return !options_.path.empty(); }

  // OK when a record can be made durable now; UNAVAILABLE (reason
  // AUDIT_UNAVAILABLE) otherwise. Cheap: it only reserves more disk space
  // when the reserve runs low, and retries opening a file that failed.
  absl::Status Ready() ABSL_LOCKS_EXCLUDED(mu_);

  // Proves the trail can be written now: the file system is not read-only,
  // its space can still be reserved and a flush succeeds. A failure (or a
  // failed write) makes Ready() refuse until a later Probe() succeeds, so a
  // device that stops taking writes is known before anything irreversible is
  // sent. For the dependency health (every second); may wait for the disk.
  absl::Status Probe() ABSL_LOCKS_EXCLUDED(file_mu_);

  // Appends `record`; `done` runs (on the writer thread) once it is on disk,
  // with the failure if it could not be written.
  void Append(linkgateway::audit::v1::AuditRecord const& record,
              absl::AnyInvocable<void(absl::Status) &&> done) ABSL_LOCKS_EXCLUDED(mu_);

  std::int64_t written() const ABSL_LOCKS_EXCLUDED(mu_);
  std::int64_t failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    std::string line;
    absl::AnyInvocable<void(absl::Status) &&> done;
  };

  void Run();
  // Writes and flushes `batch`; the file is the writer thread's alone.
  absl::Status WriteBatch(std::string const& data);
  absl::Status OpenFile() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Keeps kReserveAhead reserved past the end when the reserve runs low
  // (`always`: now).
  absl::Status Reserve(bool always = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  absl::Status Rotate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  absl::Status ProbeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // A write or flush failed with `status`: closes the file, remembers why.
  absl::Status Failed(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);

  Options const options_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;

  // The file: opened, reserved and rotated under its own lock.
  absl::Mutex file_mu_;
  int fd_ ABSL_GUARDED_BY(file_mu_) = -1;
  std::int64_t size_ ABSL_GUARDED_BY(file_mu_) = 0;
  std::int64_t reserved_until_ ABSL_GUARDED_BY(file_mu_) = 0;
  absl::Time next_open_attempt_ ABSL_GUARDED_BY(file_mu_) = absl::InfinitePast();
  // The latest Probe() or write failure, until a probe succeeds.
  absl::Status unwritable_ ABSL_GUARDED_BY(file_mu_);

  std::thread writer_;
};

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_
