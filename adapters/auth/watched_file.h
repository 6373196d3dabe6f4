// A small local file read again only when it changed: shared config and
// credentials files, web identity token files, container authorization
// token files. Kubernetes rotates a mounted secret by swapping the symlink
// its path resolves through, so a change of inode counts as much as a change
// of size or time.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_WATCHED_FILE_H_
#define LINKGATEWAY_ADAPTERS_AUTH_WATCHED_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace linkgateway::adapters::auth {

class WatchedFile {
 public:
  // Files larger than `max_bytes` are refused (they are not what they claim).
  explicit WatchedFile(std::string path, std::int64_t max_bytes = 1 << 20);

  struct Contents {
    std::string text;
    // Grows by one each time the file is read anew: callers that derive
    // something from the text (a parse) keep it until this changes.
    std::uint64_t generation = 0;
  };

  // The file's contents: NOT_FOUND when it does not exist, FAILED_PRECONDITION
  // when it cannot be read or is too large. Messages name the path, never
  // the contents.
  absl::StatusOr<Contents> Read() ABSL_LOCKS_EXCLUDED(mu_);

  std::string const& path() const { return path_; }

 private:
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(Stamp const& o) const {
      return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
             ctime_ns == o.ctime_ns;
    }
  };

  std::string const path_;
  std::int64_t const max_bytes_;
  absl::Mutex mu_;
  bool read_ ABSL_GUARDED_BY(mu_) = false;
  Stamp stamp_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<Contents> cached_ ABSL_GUARDED_BY(mu_) = Contents{};
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_WATCHED_FILE_H_
