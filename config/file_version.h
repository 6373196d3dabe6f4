// What tells a file's versions apart, by stat(2) of its path: so a file
// replaced by rename, or a symlink swapped to another target (Kubernetes
// swaps a mounted volume's `..data` link), is seen as a new version.
#ifndef LINKGATEWAY_CONFIG_FILE_VERSION_H_
#define LINKGATEWAY_CONFIG_FILE_VERSION_H_

#include <sys/stat.h>

#include <ctime>
#include <string>

namespace linkgateway::config {

// Device, inode, size, modification and change times (a chmod changes only
// the latter); `exists` false when the file cannot be looked at.
struct FileVersion {
  bool exists = false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  long long size = -1;
  std::timespec modified = {};
  std::timespec changed = {};
  bool operator==(FileVersion const& other) const;
  bool operator!=(FileVersion const& other) const { return !(*this == other); }
};

// The version `st` describes.
FileVersion FileVersionOf(struct stat const& st);

// The file's current version, following symlinks (exists false when stat
// fails).
FileVersion CurrentVersion(std::string const& path);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_FILE_VERSION_H_
