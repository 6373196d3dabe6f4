// The audit trail's sink: AuditRecords as protobuf-JSON lines, appended to a
// file and flushed to disk (fdatasync) before a call is answered. Records
// arriving together share one flush (group commit), so durability costs one
// disk flush per batch rather than per call.
//
// Fail closed, and stay closed: Ready() is asked before an upstream call
// starts. It keeps disk space reserved ahead of the file's end (fallocate)
// and asks the file system whether it still takes data (a one-byte
// fallocate inside the reserve: a file system remounted read-only after an
// error refuses it), so a full disk, a read-only or unwritable one is known
// before anything irreversible is sent. After any failed write, sync or
// reservation the trail is not ready (UNAVAILABLE, reason AUDIT_UNAVAILABLE)
// until a record has been written and synced again: a background probe
// writes a "trail recovered" record (TrailEvent RECOVERED) as soon as the
// disk takes data, retrying every 100 ms, doubling up to probe_interval;
// while idle, the disk is looked at every probe_interval too, so health()
// knows without a call having asked.
// A file removed or renamed under the gateway (its device and inode no
// longer at `path`) is noticed before the next write and a new file begun.
//
// Tamper evidence (audit.proto): each record carries its sequence and the
// SHA-256 of the line before it, across files; the first record of each
// file carries the digest of the file before it (FileStart), signed with an
// Ed25519 key when one is configured, as is the current file at shutdown
// (TrailEvent SEALED). `bazel run //server/audit:verify` checks a trail.
//
// Rotation by size and by age (path.1, path.2, ...) never removes a file
// younger than min_retention: it keeps it beyond max_files and says so
// (log, files_kept_for_retention).
//
// Without a path, records go to the log (stderr): readable, not durable.
#ifndef LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_
#define LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "server/audit/disk.h"
#include "server/audit/signing.h"
#include "server/audit/trail_file.h"

namespace linkgateway::server::audit {

class AuditLog {
 public:
  struct Options {
    std::string path;  // "" = the log (stderr)
    std::int64_t max_file_bytes = std::int64_t{100} << 20;
    int max_files = 10;
    // Also rotate once a file's first record is this old; zero: by size only.
    absl::Duration rotate_interval = absl::ZeroDuration();
    // Rotation keeps files whose last record is younger than this.
    absl::Duration min_retention = absl::ZeroDuration();
    // Ed25519 private key (PEM) signing file digests; "" = unsigned.
    std::string signing_key_file = "";
    // Longest wait between attempts to write again after a failure; zero:
    // only Recover() tries.
    absl::Duration probe_interval = absl::Seconds(1);
    // The disk's write, sync and allocate calls; null: the system's.
    Disk* disk = nullptr;
  };

  // Options for config.security().audit() (its defaults applied).
  static Options OptionsFrom(config::v1::Audit const& audit);

  // What health checks and metrics read; shared, so a reader may outlive
  // the log.
  struct State {
    std::atomic<bool> ready{true};
    std::atomic<std::int64_t> files_kept_for_retention{0};
  };

  explicit AuditLog(Options options);
  ~AuditLog();  // writes what is queued, seals the file (with a key), stops

  bool durable() const { return !options_.path.empty(); }

  // OK when a record can be made durable now; UNAVAILABLE (reason
  // AUDIT_UNAVAILABLE) otherwise. Cheap: a flag, then one fallocate inside
  // the reserved space (more space is reserved when the reserve runs low).
  // OK admits a call: space is kept for its record, which it then Appends
  // with `admitted` (a disk filling meanwhile still takes it).
  absl::Status Ready() ABSL_LOCKS_EXCLUDED(mu_, file_mu_) { return Check(/*admit=*/true); }

  // Appends `record` (its sequence, previous_hash and file_start are set
  // here); `done` runs (on the writer thread) once it is on disk, with the
  // failure if it could not be written. To the log, `done` runs at once, on
  // the calling thread, once the line is written.
  void Append(linkgateway::audit::v1::AuditRecord const& record,
              absl::AnyInvocable<void(absl::Status) &&> done, bool admitted = false)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the trail is ready, without touching the disk: OK, or the
  // failure it is waiting to recover from. For health checks.
  absl::Status health() const ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<State const> state() const { return state_; }

  // When the trail has failed: writes and syncs a "trail recovered" record
  // now (what the background probe does). OK when the trail is ready.
  absl::Status Recover() ABSL_LOCKS_EXCLUDED(mu_, file_mu_);

  std::int64_t written() const ABSL_LOCKS_EXCLUDED(mu_);
  std::int64_t failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Record = linkgateway::audit::v1::AuditRecord;
  struct Pending {
    Record record;
    absl::AnyInvocable<void(absl::Status) &&> done;
    bool admitted = false;  // its call was admitted by Ready()
  };
  // The last record written and synced: the chain continues from it.
  struct Chain {
    std::uint64_t last_sequence = 0;
    std::string last_hash;
  };

  void Run();
  absl::Status WriteBatch(std::deque<Pending>& batch) ABSL_LOCKS_EXCLUDED(file_mu_);
  void Seal() ABSL_LOCKS_EXCLUDED(file_mu_);

  // At start-up: continue the existing file, or begin one after path.1.
  void OpenAtStart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Lines for `records` (after `prefix`), chained on from the last record
  // written; the first carries the pending FileStart.
  struct Serialized {
    std::string data;
    Chain chain;  // after them
  };
  Serialized Serialize(std::vector<Record*> const& records, std::string prefix) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Writes and syncs them; then the file's size and digest (which also
  // take `on_disk_tail`, bytes already in the file outside the chain) and
  // the chain move on. A failure fails the trail.
  absl::Status Commit(Serialized const& serialized, absl::string_view on_disk_tail)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Creates the next file (path.new, space reserved), shifts the existing
  // ones (path -> path.1 -> ...; retention), and moves it to `path`; the next
  // record written carries `start`.
  absl::Status StartNewFile(std::string const& reason, bool previous_incomplete)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  void ShiftFiles() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Whether `path` is still the file this log writes.
  bool StillOurs() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Keeps space reserved past the end: the low mark, plus room for the
  // records of the calls admitted and not written yet.
  absl::Status Reserve() ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Ready(), and the idle probe (admit = false).
  absl::Status Check(bool admit) ABSL_LOCKS_EXCLUDED(mu_, file_mu_);
  linkgateway::audit::v1::FileDigest DigestOfFile() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  absl::Status RecoverLocked(bool now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // The trail is not ready from now until a record is written and synced.
  absl::Status Fail(absl::Status failure) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // Fail() because no more space could be reserved (the disk is full): new
  // calls are refused, while the records of calls admitted before — which
  // may have reached a provider — still go into the space reserved.
  absl::Status FailShortOfSpace(absl::Status failure) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);

  Options const options_;
  Disk& disk_;
  std::shared_ptr<State> const state_ = std::make_shared<State>();
  std::unique_ptr<Signer> signer_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);     // while not ready
  bool probe_kick_ ABSL_GUARDED_BY(mu_) = false;  // the writer should start probing

  // The file and the chain: opened, written, rotated under their own lock.
  absl::Mutex file_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  int fd_ ABSL_GUARDED_BY(file_mu_) = -1;
  unsigned long long device_ ABSL_GUARDED_BY(file_mu_) = 0;
  unsigned long long inode_ ABSL_GUARDED_BY(file_mu_) = 0;
  // Bytes of the file that are part of the chain, and their digest.
  std::int64_t size_ ABSL_GUARDED_BY(file_mu_) = 0;
  RunningSha256 digest_ ABSL_GUARDED_BY(file_mu_);
  std::uint64_t file_last_sequence_ ABSL_GUARDED_BY(file_mu_) = 0;
  std::int64_t reserved_until_ ABSL_GUARDED_BY(file_mu_) = 0;
  absl::Time file_started_ ABSL_GUARDED_BY(file_mu_) = absl::InfinitePast();
  Chain chain_ ABSL_GUARDED_BY(file_mu_);
  // Carried by the next record written to the file.
  std::optional<linkgateway::audit::v1::FileStart> start_ ABSL_GUARDED_BY(file_mu_);
  bool failed_ ABSL_GUARDED_BY(file_mu_) = false;
  // Failed only for want of space to reserve (FailShortOfSpace).
  bool short_of_space_ ABSL_GUARDED_BY(file_mu_) = false;
  // Calls admitted by Ready() whose records are not written yet.
  std::int64_t admitted_ ABSL_GUARDED_BY(file_mu_) = 0;
  // A signing key that cannot be used: the trail never becomes ready.
  absl::Status key_problem_ ABSL_GUARDED_BY(file_mu_);
  absl::Duration probe_delay_ ABSL_GUARDED_BY(file_mu_);
  absl::Time next_probe_ ABSL_GUARDED_BY(file_mu_) = absl::InfinitePast();

  std::thread writer_;
};

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_AUDIT_LOG_H_
