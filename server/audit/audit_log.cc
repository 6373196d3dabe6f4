#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "observability/json/audit_record_json.h"
#include "observability/log/log.h"

namespace linkgateway::server::audit {
namespace {

namespace pb = linkgateway::audit::v1;

// Disk space kept reserved past the file's end: a record is far smaller.
constexpr std::int64_t kReserveAhead = 1 << 20;
// More is reserved below this, beyond the room kept for admitted calls.
constexpr std::int64_t kReserveLow = 256 << 10;
// Room kept for the record of each admitted call (records are bounded far
// below: every caller-controlled value in them is).
constexpr std::int64_t kRecordRoom = 4 << 10;
// The first retry after a failure; later ones double up to probe_interval.
constexpr absl::Duration kFirstProbe = absl::Milliseconds(100);

// One write(2) per line where it can: lines from several threads do not
// interleave.
void WriteToStderr(absl::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

absl::Status Unavailable(absl::string_view why) {
  return adapters::errors::WithErrorInfo(
      absl::UnavailableError(absl::StrCat("the audit trail cannot be written: ", why)),
      adapters::errors::reason::kAuditUnavailable, adapters::errors::kGatewayDomain);
}

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool Exists(std::string const& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Makes renames in the directory of `path` durable.
bool SyncDirectoryOf(std::string const& path) {
  auto slash = path.rfind('/');
  std::string directory =
      slash == std::string::npos ? "." : path.substr(0, std::max<std::size_t>(slash, 1));
  int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

}  // namespace

AuditLog::Options AuditLog::OptionsFrom(config::v1::Audit const& audit) {
  Options options;
  options.path = audit.path();
  if (audit.max_file_bytes() > 0) options.max_file_bytes = audit.max_file_bytes();
  if (audit.max_files() > 0) options.max_files = audit.max_files();
  options.rotate_interval = config::ToDuration(audit.rotate_interval());
  options.min_retention = config::ToDuration(audit.min_retention());
  options.signing_key_file = audit.signing_key_file();
  return options;
}

AuditLog::AuditLog(Options options)
    : options_(std::move(options)), disk_(options_.disk != nullptr ? *options_.disk : PosixDisk()) {
  if (durable()) {
    absl::MutexLock lock(&file_mu_);
    probe_delay_ = kFirstProbe;
    if (!options_.signing_key_file.empty()) {
      auto signer = LoadSigningKey(options_.signing_key_file);
      if (signer.ok()) {
        signer_ = *std::move(signer);
      } else {
        key_problem_ = Unavailable(signer.status().message());
      }
    }
    OpenAtStart();
    if (!key_problem_.ok()) {
      Fail(key_problem_).IgnoreError();
    } else if (failed_) {
      RecoverLocked(/*now=*/true).IgnoreError();  // a torn last line: mend it before serving
    }
  }
  writer_ = std::thread([this] { Run(); });
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  absl::MutexLock lock(&file_mu_);
  if (fd_ >= 0) close(fd_);
}

void AuditLog::OpenAtStart() {
  std::string const& path = options_.path;
  auto current = ScanTrailFile(path);
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    Fail(Unavailable(current.status().message())).IgnoreError();
    return;
  }
  if (current.ok() && current->bytes > 0) {
    // Continue this file, from its last complete line.
    chain_ = {current->last_sequence, current->last_line_hash};
    if (current->complete_bytes > 0 && !current->last_line_parses) {
      observability::log::Error("the last line of ", path,
                                " is not an audit record; the chain continues from its hash");
    }
    size_ = current->complete_bytes;
    digest_ = current->complete_digest;
    file_last_sequence_ = chain_.last_sequence;
    file_started_ = current->first_record_time.value_or(absl::Now());
  } else {
    // Begin the file, after path.1 when there is one.
    pb::FileStart start;
    auto previous = ScanTrailFile(TrailFileName(path, 1));
    if (previous.ok()) {
      chain_ = {previous->last_sequence, previous->last_line_hash};
      auto* digest = start.mutable_previous_file();
      digest->set_sha256(previous->all_sha256);
      digest->set_bytes(previous->bytes);
      digest->set_last_sequence(previous->last_sequence);
      if (signer_ != nullptr) {
        digest->set_signature(signer_->Sign(
            DigestSigningText(digest->sha256(), digest->bytes(), digest->last_sequence())));
        digest->set_key_id(signer_->key_id());
      }
      start.set_previous_file_incomplete(previous->torn());
      start.set_reason(current.ok() ? "started: the current file was empty"
                                    : "started: the current file was missing");
    } else {
      start.set_reason("new trail");
    }
    start_ = start;
    size_ = 0;
    digest_ = RunningSha256();
    file_last_sequence_ = chain_.last_sequence;
    file_started_ = absl::Now();
  }
  fd_ = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    Fail(Unavailable(Errno(absl::StrCat("cannot open ", path)))).IgnoreError();
    return;
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd_);
    fd_ = -1;
    Fail(Unavailable(absl::StrCat(path, " is not a regular file"))).IgnoreError();
    return;
  }
  device_ = st.st_dev;
  inode_ = st.st_ino;
  reserved_until_ = size_;
  if (current.ok() && current->torn()) {
    Fail(Unavailable(absl::StrCat(path,
                                  " ends with a torn line (the gateway stopped while "
                                  "writing it)")))
        .IgnoreError();
    return;
  }
  if (current.ok() && current->bytes > 0 && current->last_line_parses &&
      current->last_sequence == 0) {
    // Written before the hash chain: the chain begins in a file of its own,
    // after this one's digest.
    if (absl::Status started =
            StartNewFile("started: the previous file predates the hash chain", false);
        !started.ok()) {
      Fail(started).IgnoreError();
    }
    return;
  }
  if (absl::Status reserved = Reserve(); !reserved.ok()) Fail(reserved).IgnoreError();
}

absl::Status AuditLog::Reserve() {
  std::int64_t const room = admitted_ * kRecordRoom;
  if (reserved_until_ - size_ >= kReserveLow + room) return absl::OkStatus();
  if (disk_.Allocate(fd_, size_, kReserveAhead + room) != 0) {
    return Unavailable(Errno(absl::StrCat("cannot reserve space for ", options_.path)));
  }
  reserved_until_ = size_ + kReserveAhead + room;
  return absl::OkStatus();
}

bool AuditLog::StillOurs() const {
  if (fd_ < 0) return false;
  struct stat st {};
  return stat(options_.path.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_;
}

absl::Status AuditLog::FailShortOfSpace(absl::Status failure) {
  bool const short_only = !failed_ || short_of_space_;
  Fail(failure).IgnoreError();
  short_of_space_ = short_only;
  return failure;
}

absl::Status AuditLog::Fail(absl::Status failure) {
  short_of_space_ = false;
  if (!failed_) {
    observability::log::Error(failure.message(),
                              "; destructive calls are refused until a record is written and "
                              "synced again");
    probe_delay_ = kFirstProbe;
    next_probe_ = absl::Now() + probe_delay_;
  }
  failed_ = true;
  state_->ready.store(false);
  absl::MutexLock lock(&mu_);
  failure_ = failure;
  probe_kick_ = true;
  return failure;
}

absl::Status AuditLog::Check(bool admit) {
  if (!durable()) return absl::OkStatus();
  absl::MutexLock lock(&file_mu_);
  if (failed_) {
    absl::MutexLock state_lock(&mu_);
    return failure_;
  }
  if (fd_ < 0) return Fail(Unavailable(absl::StrCat(options_.path, " is not open")));
  // With room for this call's record too.
  if (admit) ++admitted_;
  absl::Status reserved = Reserve();
  if (admit) --admitted_;
  if (!reserved.ok()) return FailShortOfSpace(reserved);
  // Inside the reserve, so free space is not the question: whether the file
  // system still takes data (one remounted read-only after an error does not).
  if (disk_.Allocate(fd_, size_, 1) != 0) {
    return Fail(Unavailable(Errno(absl::StrCat(options_.path, " does not take data"))));
  }
  if (admit) ++admitted_;
  return absl::OkStatus();
}

absl::Status AuditLog::health() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

void AuditLog::Append(Record const& record, absl::AnyInvocable<void(absl::Status) &&> done,
                      bool admitted) {
  if (!durable()) {
    // The log: written here, one write per line as every log line is, and
    // nothing to wait for (no hand-off to the writer thread and back).
    std::string line = "linkgateway audit: ";
    observability::json::AppendAuditRecordJson(record, line);
    line.push_back('\n');
    WriteToStderr(line);
    {
      absl::MutexLock lock(&mu_);
      ++written_;
    }
    return std::move(done)(absl::OkStatus());
  }
  absl::MutexLock lock(&mu_);
  queue_.push_back({record, std::move(done), admitted});
}

std::int64_t AuditLog::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

std::int64_t AuditLog::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

absl::Status AuditLog::Recover() {
  if (!durable()) return absl::OkStatus();
  absl::MutexLock lock(&file_mu_);
  return RecoverLocked(/*now=*/true);
}

void AuditLog::Run() {
  bool const probing = durable() && options_.probe_interval > absl::ZeroDuration();
  for (;;) {
    std::deque<Pending> batch;
    bool stopping = false;
    bool failing = false;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_ || probe_kick_;
      };
      if (probing && !failure_.ok()) {
        // While the trail is failing, wake up to retry it.
        mu_.AwaitWithTimeout(absl::Condition(&work), kFirstProbe / 2);
      } else if (probing) {
        // While it is idle, look now and then whether the disk still takes
        // data, so health and metrics know without a call having to ask.
        mu_.AwaitWithTimeout(absl::Condition(&work), options_.probe_interval);
      } else {
        mu_.Await(absl::Condition(&work));
      }
      probe_kick_ = false;
      batch.swap(queue_);
      stopping = stopping_;
      failing = !failure_.ok();
    }
    if (probing && failing && batch.empty() && !stopping) {
      absl::MutexLock lock(&file_mu_);
      RecoverLocked(/*now=*/false).IgnoreError();
    } else if (probing && batch.empty() && !stopping) {
      // Fails the trail when the disk no longer takes data.
      Check(/*admit=*/false).IgnoreError();
    }
    if (!batch.empty()) {
      absl::Status status = WriteBatch(batch);
      if (durable()) {
        // Written or not, their room is not kept any longer.
        std::int64_t admitted = 0;
        for (auto const& pending : batch) admitted += pending.admitted ? 1 : 0;
        absl::MutexLock lock(&file_mu_);
        admitted_ = std::max<std::int64_t>(0, admitted_ - admitted);
      }
      {
        absl::MutexLock lock(&mu_);
        (status.ok() ? written_ : failures_) += static_cast<std::int64_t>(batch.size());
      }
      for (auto& pending : batch) std::move(pending.done)(status);
    }
    if (stopping && batch.empty()) {
      Seal();
      return;
    }
  }
}

AuditLog::Serialized AuditLog::Serialize(std::vector<Record*> const& records,
                                         std::string prefix) const {
  Serialized out{std::move(prefix), chain_};
  bool first = true;
  for (Record* record : records) {
    record->set_sequence(out.chain.last_sequence + 1);
    record->set_previous_hash(out.chain.last_hash);
    if (first && start_.has_value()) {
      *record->mutable_file_start() = *start_;
    } else {
      record->clear_file_start();
    }
    first = false;
    std::size_t at = out.data.size();
    observability::json::AppendAuditRecordJson(*record, out.data);
    out.chain.last_hash = Sha256Hex(absl::string_view(out.data).substr(at));
    out.chain.last_sequence = record->sequence();
    out.data.push_back('\n');
  }
  return out;
}

absl::Status AuditLog::Commit(Serialized const& serialized, absl::string_view on_disk_tail) {
  std::string const& data = serialized.data;
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = disk_.Write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(Unavailable(Errno(absl::StrCat("cannot write ", options_.path))));
    written += static_cast<std::size_t>(n);
  }
  if (disk_.DataSync(fd_) != 0) {
    return Fail(Unavailable(Errno(absl::StrCat("cannot flush ", options_.path))));
  }
  digest_.Update(on_disk_tail);
  digest_.Update(data);
  size_ += static_cast<std::int64_t>(on_disk_tail.size() + data.size());
  chain_ = serialized.chain;
  file_last_sequence_ = chain_.last_sequence;
  start_.reset();
  return absl::OkStatus();
}

absl::Status AuditLog::WriteBatch(std::deque<Pending>& batch) {
  std::vector<Record*> records;
  records.reserve(batch.size());
  for (auto& pending : batch) records.push_back(&pending.record);
  absl::MutexLock lock(&file_mu_);
  if (failed_) {
    absl::Status recovered = RecoverLocked(/*now=*/false);
    // Short of space only: the batch may still fit in what is reserved.
    if (!recovered.ok() && !short_of_space_) return recovered;
  }
  if (!StillOurs()) {
    observability::log::Error(options_.path,
                              " was removed or renamed while the gateway wrote it (its device "
                              "and inode changed); starting a new file");
    if (absl::Status started = StartNewFile("reopened: the file was removed or renamed",
                                            /*previous_incomplete=*/false);
        !started.ok()) {
      return Fail(started);
    }
  }
  absl::Time now = absl::Now();
  if (size_ > 0 && options_.rotate_interval > absl::ZeroDuration() &&
      now - file_started_ >= options_.rotate_interval) {
    if (absl::Status rotated = StartNewFile("rotated by time", false); !rotated.ok()) {
      return Fail(rotated);
    }
  }
  Serialized serialized = Serialize(records, "");
  if (size_ > 0 &&
      size_ + static_cast<std::int64_t>(serialized.data.size()) > options_.max_file_bytes) {
    if (absl::Status rotated = StartNewFile("rotated by size", false); !rotated.ok()) {
      return Fail(rotated);
    }
    serialized = Serialize(records, "");
  }
  if (failed_ && size_ + static_cast<std::int64_t>(serialized.data.size()) > reserved_until_) {
    absl::MutexLock lock(&mu_);
    return failure_;
  }
  if (absl::Status committed = Commit(serialized, ""); !committed.ok()) return committed;
  // These records are on disk; whether the next ones can be is Ready()'s.
  if (absl::Status reserved = Reserve(); !reserved.ok()) FailShortOfSpace(reserved).IgnoreError();
  return absl::OkStatus();
}

pb::FileDigest AuditLog::DigestOfFile() const {
  pb::FileDigest digest;
  digest.set_sha256(digest_.Hex());
  digest.set_bytes(size_);
  digest.set_last_sequence(file_last_sequence_);
  if (signer_ != nullptr) {
    digest.set_signature(
        signer_->Sign(DigestSigningText(digest.sha256(), digest.bytes(), digest.last_sequence())));
    digest.set_key_id(signer_->key_id());
  }
  return digest;
}

absl::Status AuditLog::StartNewFile(std::string const& reason, bool previous_incomplete) {
  std::string const& path = options_.path;
  // Only regular files are created, shifted or replaced: a path that names
  // a device or a directory is a configuration mistake, never renamed.
  if (struct stat st{}; lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Unavailable(absl::StrCat(path, " is not a regular file"));
  }
  std::string next = path + ".new";
  unlink(next.c_str());  // a leftover of an attempt that failed
  int fd = open(next.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable(Errno(absl::StrCat("cannot create ", next)));
  // No file is shifted for a disk that would not take the new one's data.
  if (disk_.Allocate(fd, 0, kReserveAhead) != 0) {
    absl::Status failed = Unavailable(Errno(absl::StrCat("cannot reserve space for ", next)));
    close(fd);
    unlink(next.c_str());
    return failed;
  }
  pb::FileStart start;
  if (start_.has_value() && size_ == 0) {
    start = *start_;  // nothing was written to the current file: same predecessor
  } else {
    *start.mutable_previous_file() = DigestOfFile();
    start.set_previous_file_incomplete(previous_incomplete);
  }
  start.set_reason(reason);
  if (Exists(path)) ShiftFiles();
  if (rename(next.c_str(), path.c_str()) != 0) {
    absl::Status failed = Unavailable(Errno(absl::StrCat("cannot rename ", next, " to ", path)));
    close(fd);
    unlink(next.c_str());
    return failed;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  struct stat st {};
  fstat(fd_, &st);
  device_ = st.st_dev;
  inode_ = st.st_ino;
  size_ = 0;
  digest_ = RunningSha256();
  reserved_until_ = kReserveAhead;
  file_last_sequence_ = chain_.last_sequence;
  file_started_ = absl::Now();
  start_ = start;
  if (!SyncDirectoryOf(path)) {
    return Unavailable(Errno(absl::StrCat("cannot sync the directory of ", path)));
  }
  return absl::OkStatus();
}

void AuditLog::ShiftFiles() {
  std::string const& path = options_.path;
  int last = 0;
  while (Exists(TrailFileName(path, last + 1))) ++last;
  absl::Time now = absl::Now();
  int kept = 0;
  std::string youngest_kept;
  for (int i = last; i >= 0; --i) {
    std::string from = TrailFileName(path, i);
    if (i + 1 > options_.max_files) {
      struct stat st {};
      bool young = options_.min_retention > absl::ZeroDuration() && stat(from.c_str(), &st) == 0 &&
                   now - absl::TimeFromTimespec(st.st_mtim) < options_.min_retention;
      if (!young) {
        unlink(from.c_str());
        continue;
      }
      ++kept;
      youngest_kept = TrailFileName(path, i + 1);
    }
    rename(from.c_str(), TrailFileName(path, i + 1).c_str());
  }
  state_->files_kept_for_retention.store(kept);
  if (kept > 0) {
    observability::log::Error(kept, " audit file(s) beyond max_files (", options_.max_files,
                              ") are younger than security.audit.min_retention (",
                              absl::FormatDuration(options_.min_retention),
                              ") and were kept, the youngest as ", youngest_kept,
                              ": records arrive faster than the retention allows");
  }
}

absl::Status AuditLog::RecoverLocked(bool now) {
  if (!failed_) return absl::OkStatus();
  if (!key_problem_.ok()) return key_problem_;
  absl::Time t = absl::Now();
  std::string detail;
  {
    absl::MutexLock lock(&mu_);
    if (!now && t < next_probe_) return failure_;
    detail = std::string(failure_.message());
  }
  next_probe_ = t + probe_delay_;
  probe_delay_ = std::min(probe_delay_ * 2, std::max(options_.probe_interval, kFirstProbe));
  auto keep_failing = [this](absl::Status latest) {
    absl::MutexLock lock(&mu_);
    failure_ = latest;
    return latest;
  };

  Record event;
  *event.mutable_time() = TimestampOf(t);
  auto* trail = event.mutable_trail_event();
  trail->set_kind(pb::TRAIL_EVENT_KIND_RECOVERED);
  trail->set_detail(detail);
  std::string prefix, tail;
  bool same_file = StillOurs();
  struct stat st {};
  if (same_file && (fstat(fd_, &st) != 0 || st.st_size < size_)) same_file = false;
  if (same_file) {
    if (disk_.Allocate(fd_, size_, 1) != 0) {
      return keep_failing(Unavailable(Errno(absl::StrCat(options_.path, " does not take data"))));
    }
    if (st.st_size > size_) {
      // Bytes of failed writes (or a torn line): on disk, outside the chain.
      tail.resize(static_cast<std::size_t>(st.st_size - size_));
      if (pread(fd_, tail.data(), tail.size(), size_) != static_cast<ssize_t>(tail.size())) {
        return keep_failing(Unavailable(Errno(absl::StrCat("cannot read back ", options_.path))));
      }
      if (tail.back() != '\n') prefix = "\n";
      trail->set_unacknowledged_offset(size_);
      trail->set_unacknowledged_bytes(static_cast<std::int64_t>(tail.size() + prefix.size()));
    }
  } else {
    // The file at the path is not the one written (removed, renamed,
    // replaced, truncated) or none could be opened: a new one.
    absl::Status started =
        StartNewFile(absl::StrCat("recovered: ", detail), /*previous_incomplete=*/true);
    if (!started.ok()) return keep_failing(started);
  }
  std::int64_t const reserved_before = reserved_until_;
  reserved_until_ = size_;  // reserve afresh: the disk may not be the one reserved on
  if (absl::Status reserved = Reserve(); !reserved.ok()) {
    if (same_file) reserved_until_ = reserved_before;  // still there
    return keep_failing(reserved);
  }
  if (absl::Status committed = Commit(Serialize({&event}, prefix), tail); !committed.ok()) {
    return committed;  // Commit recorded the latest failure
  }
  failed_ = false;
  state_->ready.store(true);
  probe_delay_ = kFirstProbe;
  {
    absl::MutexLock lock(&mu_);
    failure_ = absl::OkStatus();
  }
  observability::log::Info("the audit trail is written again (record ", chain_.last_sequence,
                           " in ", options_.path, ", after: ", detail, ")");
  return absl::OkStatus();
}

void AuditLog::Seal() {
  if (signer_ == nullptr || !durable()) return;
  absl::MutexLock lock(&file_mu_);
  if (failed_ || !StillOurs()) return;
  Record seal;
  *seal.mutable_time() = TimestampOf(absl::Now());
  auto* trail = seal.mutable_trail_event();
  trail->set_kind(pb::TRAIL_EVENT_KIND_SEALED);
  *trail->mutable_sealed() = DigestOfFile();
  Commit(Serialize({&seal}, ""), "").IgnoreError();
}

}  // namespace linkgateway::server::audit
