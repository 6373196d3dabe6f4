// A configuration file the gateway re-reads when it changes (tokens,
// authorization policy): checked at most once a second, on use. A change
// that cannot be read or parsed keeps the last good contents and is logged
// once; the start-up load must succeed.
#ifndef LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_
#define LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::server::security {

// What tells a file's versions apart: modification time, size and inode
// (a rewrite within the clock's granularity still changes size or inode).
struct FileVersion {
  std::timespec modified = {};
  long long size = -1;
  unsigned long long inode = 0;
  bool operator==(FileVersion const& other) const {
    return modified.tv_sec == other.modified.tv_sec &&
           modified.tv_nsec == other.modified.tv_nsec && size == other.size &&
           inode == other.inode;
  }
};

// Reads a file and its version.
absl::StatusOr<std::string> ReadWatchedFile(std::string const& path, FileVersion& version);
// Whether the file's version differs from `version`.
bool WatchedFileChanged(std::string const& path, FileVersion const& version);
void LogReload(std::string const& path, absl::Status const& status);

template <typename T>
class WatchedFile {
 public:
  using Parser = std::function<absl::StatusOr<T>(absl::string_view)>;

  // `check_interval` bounds how often the file is looked at.
  static absl::StatusOr<std::unique_ptr<WatchedFile>> Load(
      std::string path, Parser parse, absl::Duration check_interval = absl::Seconds(1)) {
    std::unique_ptr<WatchedFile> file(
        new WatchedFile(std::move(path), std::move(parse), check_interval));
    FileVersion version;
    auto text = ReadWatchedFile(file->path_, version);
    if (!text.ok()) return text.status();
    auto parsed = file->parse_(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file->path_, ": ", parsed.status().message()));
    }
    absl::MutexLock lock(&file->mu_);
    file->value_ = std::make_shared<T const>(*std::move(parsed));
    file->version_ = version;
    file->checked_ = absl::Now();
    return file;
  }

  // The current contents, re-read first if the file changed.
  std::shared_ptr<T const> Get() ABSL_LOCKS_EXCLUDED(mu_) {
    bool reload = false;
    {
      absl::MutexLock lock(&mu_);
      absl::Time now = absl::Now();
      if (now - checked_ >= check_interval_) {
        checked_ = now;
        reload = WatchedFileChanged(path_, version_);
      }
      if (!reload) return value_;
    }
    FileVersion version;
    auto text = ReadWatchedFile(path_, version);
    absl::StatusOr<T> parsed = text.ok() ? parse_(*text) : absl::StatusOr<T>(text.status());
    absl::MutexLock lock(&mu_);
    version_ = version;  // a bad version is reported once, not on every call
    LogReload(path_, parsed.status());
    if (parsed.ok()) value_ = std::make_shared<T const>(*std::move(parsed));
    return value_;
  }

 private:
  WatchedFile(std::string path, Parser parse, absl::Duration check_interval)
      : path_(std::move(path)), parse_(std::move(parse)), check_interval_(check_interval) {}

  std::string const path_;
  Parser const parse_;
  absl::Duration const check_interval_;
  absl::Mutex mu_;
  std::shared_ptr<T const> value_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  FileVersion version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_
