// A real file system that fails mid-run: an ext4 image on a loop device,
// mounted with errors=remount-ro, whose error the kernel is asked to raise
// (/sys/fs/ext4/<device>/trigger_fs_error: ext4 then aborts its journal and
// refuses every write, as after a failing disk), and that can be repaired
// (e2fsck) and mounted again at the same place. Needs root and loop devices;
// when the machine has neither, Mount says what failed.
#ifndef LINKGATEWAY_TESTS_SECURITY_LOOP_FILE_SYSTEM_H_
#define LINKGATEWAY_TESTS_SECURITY_LOOP_FILE_SYSTEM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace linkgateway::tests::security {

class LoopFileSystem {
 public:
  // A fresh 32 MiB ext4 image in `dir`, mounted at dir/mnt.
  static absl::StatusOr<std::unique_ptr<LoopFileSystem>> Mount(std::string const& dir);
  ~LoopFileSystem();  // unmounted (lazily, if still in use) and detached

  std::string const& mount_point() const { return mount_point_; }

  // The kernel's ext4 error handling: the file system turns read-only.
  absl::Status Fail();
  // Fills it to the last block (a file of its own: ENOSPC for everyone,
  // root too), and frees that space again.
  absl::Status Fill();
  absl::Status Free();
  // Unmounts it (lazily: the gateway still holds its file), checks the
  // image (e2fsck -fy) and mounts it again at the same place, on a new loop
  // device.
  absl::Status Repair();

 private:
  LoopFileSystem() = default;
  absl::Status Attach();

  std::string image_;
  std::string mount_point_;
  std::string device_;                 // the mounted one, e.g. /dev/loop3
  std::vector<std::string> attached_;  // every loop device used
};

}  // namespace linkgateway::tests::security

#endif  // LINKGATEWAY_TESTS_SECURITY_LOOP_FILE_SYSTEM_H_
