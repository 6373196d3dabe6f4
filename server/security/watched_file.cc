#include "server/security/watched_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "observability/log/log.h"

namespace linkgateway::server::security {
namespace {

std::string DirectoryOf(std::string const& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

absl::Status Refused(std::string const& path, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(path, " ", why,
                                                    ": refused, as ssh refuses such files (or set "
                                                    "security.files.allow_writable_by_others)"));
}

// Whether others than the owner could change what the file says.
absl::Status CheckOwnership(std::string const& path, struct stat const& st) {
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return Refused(path, absl::StrFormat("is writable by group or others (mode %04o; chmod go-w)",
                                         st.st_mode & 07777));
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return Refused(
        path, absl::StrCat("is owned by uid ", st.st_uid, ", neither root nor the gateway's user"));
  }
  std::string directory = DirectoryOf(path);
  struct stat dir {};
  if (stat(directory.c_str(), &dir) == 0 && (dir.st_mode & (S_IWGRP | S_IWOTH)) &&
      !(dir.st_mode & S_ISVTX)) {
    // Whoever may write the directory may replace the file.
    return Refused(path, absl::StrFormat("is in %s, writable by group or others (mode %04o)",
                                         directory, dir.st_mode & 07777));
  }
  return absl::OkStatus();
}

}  // namespace

WatchedFileOptions WatchedFileOptionsFrom(config::v1::Security const& security) {
  WatchedFileOptions options;
  options.keep_last_good = security.files().keep_last_good();
  options.allow_writable_by_others = security.files().allow_writable_by_others();
  return options;
}

absl::StatusOr<std::string> ReadTrustedFile(std::string const& path, FileVersion& version,
                                            bool allow_writable_by_others) {
  version = FileVersion();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  version = config::FileVersionOf(st);
  if (!allow_writable_by_others) {
    if (absl::Status owned = CheckOwnership(path, st); !owned.ok()) {
      close(fd);
      return owned;
    }
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return text;
}

void LogFileState(std::string const& path, absl::Status const& status,
                  WatchedFileOptions const& options) {
  if (status.ok()) {
    observability::log::Info("reloaded ", path);
  } else if (options.keep_last_good) {
    observability::log::Error(status.message(),
                              "; keeping its last good contents (security.files.keep_last_good)");
  } else {
    observability::log::Error(status.message(), "; ", options.when_unusable, " until it is fixed");
  }
}

}  // namespace linkgateway::server::security
