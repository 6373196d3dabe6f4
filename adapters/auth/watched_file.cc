#include "adapters/auth/watched_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::adapters::auth {

WatchedFile::WatchedFile(std::string path, std::int64_t max_bytes)
    : path_(std::move(path)), max_bytes_(max_bytes) {}

absl::StatusOr<WatchedFile::Contents> WatchedFile::Read() {
  struct stat info {};
  if (stat(path_.c_str(), &info) != 0) {
    int error = errno;
    absl::MutexLock lock(&mu_);
    read_ = false;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(path_, " does not exist"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path_, ": ", std::strerror(error)));
  }
  Stamp stamp{info.st_dev, info.st_ino, info.st_size,
              info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
              info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
  absl::MutexLock lock(&mu_);
  if (read_ && stamp == stamp_) return cached_;
  // The stamp is taken before reading: a write that lands meanwhile changes
  // it again, so the next Read sees the newer file.
  read_ = true;
  stamp_ = stamp;
  ++generation_;
  if (!S_ISREG(info.st_mode)) {
    cached_ = absl::FailedPreconditionError(absl::StrCat(path_, " is not a regular file"));
    return cached_;
  }
  if (info.st_size > max_bytes_) {
    cached_ = absl::FailedPreconditionError(
        absl::StrCat(path_, " is larger than ", max_bytes_, " bytes"));
    return cached_;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    cached_ = absl::FailedPreconditionError(absl::StrCat("cannot read ", path_));
    return cached_;
  }
  std::string text(static_cast<std::size_t>(max_bytes_) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (static_cast<std::int64_t>(text.size()) > max_bytes_) {
    cached_ = absl::FailedPreconditionError(
        absl::StrCat(path_, " is larger than ", max_bytes_, " bytes"));
    return cached_;
  }
  cached_ = Contents{std::move(text), generation_};
  return cached_;
}

}  // namespace linkgateway::adapters::auth
