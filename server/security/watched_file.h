// A file that grants access (the token file, the authorization policy),
// re-read when it changes: looked at, at most once a check_interval, when it
// is used or its health is asked for. The start-up load must succeed.
//
// It fails closed: once the file is missing, unreadable, does not parse, or
// is writable by group or others (or sits in such a directory, unless the
// directory is sticky), its contents are a default-constructed T (no token
// is valid; a policy that denies every call) until a good version appears.
// The change is logged once, and health() says so. keep_last_good keeps the
// last good contents instead (still logged, still unhealthy).
#ifndef LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_
#define LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "config/file_version.h"

namespace linkgateway::server::security {

struct WatchedFileOptions {
  // How often, at most, the file is looked at.
  absl::Duration check_interval = absl::Seconds(1);
  // Keep the last good contents when the file cannot be used.
  bool keep_last_good = false;
  // Accept a file or directory writable by group or others.
  bool allow_writable_by_others = false;
  // What an unusable file means, for the log; "": the contents' own words
  // (UnusableMeaning below).
  std::string when_unusable;
};

// What a file of T means while it cannot be used, for the log ("no bearer
// token is valid"); files of other kinds overload it beside their type.
template <typename T>
char const* UnusableMeaning(T const*) {
  return "it grants nothing";
}

// The options config.security().files() asks for.
WatchedFileOptions WatchedFileOptionsFrom(config::v1::Security const& security);

using config::CurrentVersion;
using config::FileVersion;

// Reads a file that grants access, with its version: FAILED_PRECONDITION
// when it cannot be read, or (unless `allow_writable_by_others`) when it or
// its directory (unless sticky) is writable by group or others, or it is
// owned by neither root nor this process's user.
absl::StatusOr<std::string> ReadTrustedFile(std::string const& path, FileVersion& version,
                                            bool allow_writable_by_others);

// Logs a change of the file's state, once per change.
void LogFileState(std::string const& path, absl::Status const& status,
                  WatchedFileOptions const& options);

template <typename T>
class WatchedFile {
 public:
  using Parser = std::function<absl::StatusOr<T>(absl::string_view)>;

  static absl::StatusOr<std::unique_ptr<WatchedFile>> Load(std::string path, Parser parse,
                                                           WatchedFileOptions options = {}) {
    if (options.when_unusable.empty()) {
      options.when_unusable = UnusableMeaning(static_cast<T const*>(nullptr));
    }
    std::unique_ptr<WatchedFile> file(
        new WatchedFile(std::move(path), std::move(parse), std::move(options)));
    FileVersion version;
    auto text = ReadTrustedFile(file->path_, version, file->options_.allow_writable_by_others);
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

  // The contents in force, after looking at the file if it is time to.
  std::shared_ptr<T const> Get() ABSL_LOCKS_EXCLUDED(mu_) {
    Refresh();
    absl::MutexLock lock(&mu_);
    return value_;
  }

  // OK while the file in force is the file on disk; FAILED_PRECONDITION
  // saying why not (for health checks and metrics), after looking at the
  // file if it is time to.
  absl::Status health() ABSL_LOCKS_EXCLUDED(mu_) {
    Refresh();
    absl::MutexLock lock(&mu_);
    return problem_;
  }

  std::string const& path() const { return path_; }

  // Whether the file in force is the file on disk, as of the last look;
  // shared, so a reader (a metrics gauge) may outlive the file.
  std::shared_ptr<std::atomic<bool> const> usable() const { return usable_; }

 private:
  WatchedFile(std::string path, Parser parse, WatchedFileOptions options)
      : path_(std::move(path)), parse_(std::move(parse)), options_(std::move(options)) {}

  void Refresh() ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      absl::Time now = absl::Now();
      if (now - checked_ < options_.check_interval) return;
      checked_ = now;
      if (CurrentVersion(path_) == version_) return;
    }
    FileVersion version;
    auto text = ReadTrustedFile(path_, version, options_.allow_writable_by_others);
    absl::StatusOr<T> parsed = text.ok() ? parse_(*text) : absl::StatusOr<T>(text.status());
    if (!version.exists) version = CurrentVersion(path_);
    absl::MutexLock lock(&mu_);
    version_ = version;  // a bad version is reported once, not on every call
    absl::Status problem = parsed.status();
    if (text.ok() && !problem.ok()) {
      problem = absl::FailedPreconditionError(absl::StrCat(path_, ": ", problem.message()));
    }
    LogFileState(path_, problem, options_);
    problem_ = problem;
    usable_->store(problem.ok());
    if (parsed.ok()) {
      value_ = std::make_shared<T const>(*std::move(parsed));
    } else if (!options_.keep_last_good) {
      value_ = std::make_shared<T const>();  // fail closed
    }
  }

  std::string const path_;
  Parser const parse_;
  WatchedFileOptions const options_;
  absl::Mutex mu_;
  std::shared_ptr<T const> value_ ABSL_GUARDED_BY(mu_);
  absl::Status problem_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<std::atomic<bool>> const usable_ = std::make_shared<std::atomic<bool>>(true);
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  FileVersion version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_WATCHED_FILE_H_
