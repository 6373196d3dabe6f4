#include "config/file_version.h"

namespace linkgateway::config {
namespace {

bool Same(std::timespec const& a, std::timespec const& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

bool FileVersion::operator==(FileVersion const& other) const {
  if (exists != other.exists) return false;
  if (!exists) return true;
  return device == other.device && inode == other.inode && size == other.size &&
         Same(modified, other.modified) && Same(changed, other.changed);
}

FileVersion FileVersionOf(struct stat const& st) {
  FileVersion version;
  version.exists = true;
  version.device = static_cast<unsigned long long>(st.st_dev);
  version.inode = static_cast<unsigned long long>(st.st_ino);
  version.size = static_cast<long long>(st.st_size);
  version.modified = st.st_mtim;
  version.changed = st.st_ctim;
  return version;
}

FileVersion CurrentVersion(std::string const& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return FileVersion();
  return FileVersionOf(st);
}

}  // namespace linkgateway::config
