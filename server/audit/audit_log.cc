#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "observability/json/proto_json.h"

namespace linkgateway::server::audit {
namespace {

// Disk space kept reserved past the file's end: a record is far smaller.
constexpr std::int64_t kReserveAhead = 1 << 20;
constexpr std::int64_t kReserveLow = 64 << 10;

absl::Status Unavailable(absl::string_view why) {
  return adapters::errors::WithErrorInfo(
      absl::UnavailableError(absl::StrCat("the audit trail cannot be written: ", why)),
      adapters::errors::reason::kAuditUnavailable, adapters::errors::kGatewayDomain);
}

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

}  // namespace

AuditLog::AuditLog(Options options) : options_(std::move(options)) {
  if (durable()) {
    absl::MutexLock lock(&file_mu_);
    if (absl::Status opened = OpenFile(); !opened.ok()) {
      std::cerr << "linkgateway: " << opened.message()
                << "; destructive calls fail until it can be written" << std::endl;
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

absl::Status AuditLog::OpenFile() {
  fd_ = open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    next_open_attempt_ = absl::Now() + absl::Seconds(1);
    return Unavailable(Errno(absl::StrCat("cannot open ", options_.path)));
  }
  struct stat st {};
  size_ = fstat(fd_, &st) == 0 ? st.st_size : 0;
  reserved_until_ = size_;
  return Reserve();
}

absl::Status AuditLog::Reserve(bool always) {
  if (!always && reserved_until_ - size_ >= kReserveLow) return absl::OkStatus();
  // FALLOC_FL_KEEP_SIZE: the blocks are allocated, the file does not grow.
  if (fallocate(fd_, FALLOC_FL_KEEP_SIZE, size_, kReserveAhead) != 0) {
    return Unavailable(Errno(absl::StrCat("cannot reserve space for ", options_.path)));
  }
  reserved_until_ = size_ + kReserveAhead;
  return absl::OkStatus();
}

absl::Status AuditLog::Ready() {
  if (!durable()) return absl::OkStatus();
  absl::MutexLock lock(&file_mu_);
  if (!unwritable_.ok()) {
    // Looked at again once a second (also by Probe()).
    if (absl::Now() < next_open_attempt_) return unwritable_;
    next_open_attempt_ = absl::Now() + absl::Seconds(1);
    if (absl::Status writable = ProbeLocked(); !writable.ok()) return writable;
  }
  if (fd_ < 0) {
    if (absl::Now() < next_open_attempt_) return Unavailable(absl::StrCat(options_.path, " is not open"));
    if (absl::Status opened = OpenFile(); !opened.ok()) return opened;
  }
  // One system call: a file system turned read-only (by the kernel, after a
  // device error) is known before the call, not after its send.
  struct statvfs fs {};
  if (fstatvfs(fd_, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
    return Failed(Unavailable(absl::StrCat(options_.path, " is on a read-only file system")));
  }
  return Reserve();
}

absl::Status AuditLog::Failed(absl::Status status) {
  // The file is opened again (a second later at the earliest): a file
  // system repaired and mounted again is a new one.
  close(fd_);
  fd_ = -1;
  next_open_attempt_ = absl::Now() + absl::Seconds(1);
  unwritable_ = status;
  return status;
}

absl::Status AuditLog::Probe() {
  if (!durable()) return absl::OkStatus();
  absl::MutexLock lock(&file_mu_);
  return ProbeLocked();
}

absl::Status AuditLog::ProbeLocked() {
  absl::Status status = [&]() -> absl::Status {
    if (fd_ < 0) {
      if (absl::Status opened = OpenFile(); !opened.ok()) return opened;
    }
    struct statvfs fs {};
    if (fstatvfs(fd_, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
      return Unavailable(absl::StrCat(options_.path, " is on a read-only file system"));
    }
    // Re-reserving touches the allocation; the flush, the device.
    if (absl::Status reserved = Reserve(/*always=*/true); !reserved.ok()) return reserved;
    if (fdatasync(fd_) != 0) return Unavailable(Errno(absl::StrCat("cannot flush ", options_.path)));
    return absl::OkStatus();
  }();
  // A file that cannot be written is let go of (opened again later), so a
  // file system can be repaired under it.
  if (!status.ok() && fd_ >= 0) return Failed(std::move(status));
  unwritable_ = status;
  return status;
}

void AuditLog::Append(linkgateway::audit::v1::AuditRecord const& record,
                      absl::AnyInvocable<void(absl::Status) &&> done) {
  std::string line = observability::json::ProtoJson(record);
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  queue_.push_back({std::move(line), std::move(done)});
}

std::int64_t AuditLog::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

std::int64_t AuditLog::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

void AuditLog::Run() {
  for (;;) {
    std::deque<Pending> batch;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      batch.swap(queue_);
      stopping = stopping_;
    }
    if (!batch.empty()) {
      std::string data;
      for (auto const& pending : batch) data += pending.line;
      absl::Status status = WriteBatch(data);
      {
        absl::MutexLock lock(&mu_);
        (status.ok() ? written_ : failures_) += static_cast<std::int64_t>(batch.size());
      }
      for (auto& pending : batch) std::move(pending.done)(status);
    }
    if (stopping && batch.empty()) return;
  }
}

absl::Status AuditLog::WriteBatch(std::string const& data) {
  if (!durable()) {
    std::cerr << "linkgateway audit: " << data << std::flush;
    return absl::OkStatus();
  }
  absl::MutexLock lock(&file_mu_);
  if (fd_ < 0) {
    if (absl::Status opened = OpenFile(); !opened.ok()) return opened;
  }
  if (size_ > 0 && size_ + static_cast<std::int64_t>(data.size()) > options_.max_file_bytes) {
    if (absl::Status rotated = Rotate(); !rotated.ok()) return rotated;
  }
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Failed(Unavailable(Errno(absl::StrCat("cannot write ", options_.path))));
    written += static_cast<std::size_t>(n);
  }
  size_ += static_cast<std::int64_t>(written);
  if (fdatasync(fd_) != 0) {
    return Failed(Unavailable(Errno(absl::StrCat("cannot flush ", options_.path))));
  }
  return Reserve();
}

absl::Status AuditLog::Rotate() {
  close(fd_);
  fd_ = -1;
  // path.(n-1) -> path.n, ..., path -> path.1; the oldest is replaced.
  for (int i = options_.max_files - 1; i >= 1; --i) {
    std::rename(absl::StrCat(options_.path, ".", i).c_str(),
                absl::StrCat(options_.path, ".", i + 1).c_str());
  }
  if (options_.max_files >= 1) std::rename(options_.path.c_str(), absl::StrCat(options_.path, ".1").c_str());
  return OpenFile();
}

}  // namespace linkgateway::server::audit
