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

// Reads a file and its modification time.
absl::StatusOr<std::string> ReadWatchedFile(std::string const& path, std::timespec& modified);
// Whether the file's modification time differs from `modified`.
bool WatchedFileChanged(std::string const& path, std::timespec const& modified);
void LogReload(std::string const& path, absl::Status const& status);

template <typename T>
class WatchedFile {
 public:
  using Parser = std::function<absl::StatusOr<T>(absl::string_view)>;

  static absl::StatusOr<std::unique_ptr<WatchedFile>> Load(std::string path, Parser parse) {
    std::unique_ptr<WatchedFile> file(new WatchedFile(std::move(path), std::move(parse)));
    std::timespec modified{};
    auto text = ReadWatchedFile(file->path_, modified);
    if (!text.ok()) return text.status();
    auto parsed = file->parse_(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file->path_, ": ", parsed.status().message()));
    }
    absl::MutexLock lock(&file->mu_);
    file->value_ = std::make_shared<T const>(*std::move(parsed));
    file->modified_ = modified;
    file->checked_ = absl::Now();
    return file;
  }

  // The current contents, re-read first if the file changed.
  std::shared_ptr<T const> Get() ABSL_LOCKS_EXCLUDED(mu_) {
    bool reload = false;
    {
      absl::MutexLock lock(&mu_);
      absl::Time now = absl::Now();
      if (now - checked_ >= absl::Seconds(1)) {
        checked_ = now;
        reload = WatchedFileChanged(path_, modified_);
      }
      if (!reload) return value_;
    }
    std::timespec modified{};
    auto text = ReadWatchedFile(path_, modified);
    absl::StatusOr<T> parsed = text.ok() ? parse_(*text) : absl::StatusOr<T>(text.status());
    absl::MutexLock lock(&mu_);
    modified_ = modified;  // a bad version is reported once, not on every call
    LogReload(path_, parsed.status());
    if (parsed.ok()) value_ = std::make_shared<T const>(*std::move(parsed));
    return value_;
  }

 private:
  WatchedFile(std::string path, Parser parse) : path_(std::move(path)), parse_(std::move(parse)) {}

  std::string const path_;
  Parser const parse_;
  absl::Mutex mu_;
  std::shared_ptr<T const> value_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::timespec modified_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_
