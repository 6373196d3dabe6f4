#include "server/security/watched_file.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace linkgateway::server::security {

absl::StatusOr<std::string> ReadWatchedFile(std::string const& path, std::timespec& modified) {
  struct stat st {};
  std::ifstream in(path);
  if (!in || stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  }
  modified = st.st_mtim;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WatchedFileChanged(std::string const& path, std::timespec const& modified) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return true;  // gone: say so on reload
  return st.st_mtim.tv_sec != modified.tv_sec || st.st_mtim.tv_nsec != modified.tv_nsec;
}

void LogReload(std::string const& path, absl::Status const& status) {
  if (status.ok()) {
    std::cerr << "linkgateway: reloaded " << path << std::endl;
  } else {
    std::cerr << "linkgateway: keeping the previous contents of " << path << ": "
              << status.message() << std::endl;
  }
}

}  // namespace linkgateway::server::security
