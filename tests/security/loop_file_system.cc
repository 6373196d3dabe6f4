#include "tests/security/loop_file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/testing/child_process.h"

namespace linkgateway::tests::security {
namespace {

// Tests run with a minimal PATH: the system tools by their directories.
std::string Tool(std::string const& name) {
  for (char const* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    std::string path = absl::StrCat(dir, name);
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return name;
}

absl::StatusOr<std::string> Run(std::vector<std::string> argv) {
  std::string command = absl::StrJoin(argv, " ");
  auto completed = tests::testing::RunToCompletion(std::move(argv), absl::Seconds(60));
  if (!completed.ok()) return completed.status();
  if (completed->exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("`", command, "` exited ", completed->exit_code, ": ", completed->output));
  }
  return completed->output;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoopFileSystem>> LoopFileSystem::Mount(std::string const& dir) {
  std::unique_ptr<LoopFileSystem> fs(new LoopFileSystem());
  fs->image_ = dir + "/ext4.img";
  fs->mount_point_ = dir + "/mnt";
  mkdir(fs->mount_point_.c_str(), 0700);
  if (geteuid() != 0) {
    return absl::FailedPreconditionError("not root: loop devices and mount need root");
  }
  if (truncate(fs->image_.c_str(), 0) != 0) std::ofstream(fs->image_).close();
  if (truncate(fs->image_.c_str(), 32 << 20) != 0) {
    return absl::FailedPreconditionError("cannot size the image file");
  }
  if (auto made = Run({Tool("mkfs.ext4"), "-q", "-F", fs->image_}); !made.ok()) {
    return made.status();
  }
  if (absl::Status attached = fs->Attach(); !attached.ok()) return attached;
  return fs;
}

absl::Status LoopFileSystem::Attach() {
  auto device = Run({Tool("losetup"), "-f", "--show", image_});
  if (!device.ok()) return device.status();
  device_ = std::string(absl::StripAsciiWhitespace(*device));
  attached_.push_back(device_);
  auto mounted =
      Run({Tool("mount"), "-t", "ext4", "-o", "errors=remount-ro", device_, mount_point_});
  if (!mounted.ok()) return mounted.status();
  chmod(mount_point_.c_str(), 0700);
  return absl::OkStatus();
}

absl::Status LoopFileSystem::Fail() {
  std::string name = device_.substr(device_.rfind('/') + 1);
  std::ofstream trigger(absl::StrCat("/sys/fs/ext4/", name, "/trigger_fs_error"));
  trigger << "linkgateway attack suite: the audit disk fails\n";
  trigger.close();
  if (!trigger) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write /sys/fs/ext4/", name, "/trigger_fs_error"));
  }
  return absl::OkStatus();
}

absl::Status LoopFileSystem::Fill() {
  std::string filler = mount_point_ + "/filler";
  int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", filler));
  // Block by block until nothing is left (a reserve kept for root too).
  std::string block(1 << 16, '\0');
  off_t at = 0;
  while (pwrite(fd, block.data(), block.size(), at) == static_cast<ssize_t>(block.size())) {
    at += static_cast<off_t>(block.size());
  }
  while (pwrite(fd, block.data(), 4096, at) == 4096) at += 4096;
  fsync(fd);
  ::close(fd);
  return absl::OkStatus();
}

absl::Status LoopFileSystem::Free() {
  std::error_code error;
  std::filesystem::remove(mount_point_ + "/filler", error);
  if (error) return absl::InternalError(absl::StrCat("cannot free the disk: ", error.message()));
  sync();
  return absl::OkStatus();
}

absl::Status LoopFileSystem::Repair() {
  if (auto unmounted = Run({Tool("umount"), "-l", mount_point_}); !unmounted.ok()) {
    return unmounted.status();
  }
  // e2fsck exits 1 when it repaired something: the point of running it.
  auto checked =
      tests::testing::RunToCompletion({Tool("e2fsck"), "-fy", image_}, absl::Seconds(60));
  if (!checked.ok()) return checked.status();
  if (checked->exit_code > 1) {
    return absl::FailedPreconditionError(absl::StrCat("e2fsck: ", checked->output));
  }
  return Attach();
}

LoopFileSystem::~LoopFileSystem() {
  (void)Run({Tool("umount"), "-l", mount_point_});
  // A device still in use is detached once its last user goes.
  for (auto const& device : attached_) (void)Run({Tool("losetup"), "-d", device});
}

}  // namespace linkgateway::tests::security
