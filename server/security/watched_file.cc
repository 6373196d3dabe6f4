#include "server/security/watched_file.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace linkgateway::server::security {

namespace {

FileVersion VersionOf(struct stat const& st) {
  return FileVersion{st.st_mtim, static_cast<long long>(st.st_size),
                     static_cast<unsigned long long>(st.st_ino)};
}

}  // namespace

absl::StatusOr<std::string> ReadWatchedFile(std::string const& path, FileVersion& version) {
  struct stat st {};
  std::ifstream in(path);
  if (!in || stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  }
  version = VersionOf(st);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WatchedFileChanged(std::string const& path, FileVersion const& version) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return true;  // gone: say so on reload
  return !(VersionOf(st) == version);
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
