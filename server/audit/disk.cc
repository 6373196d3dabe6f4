#include "server/audit/disk.h"

#include <fcntl.h>
#include <unistd.h>

namespace linkgateway::server::audit {
namespace {

class Posix final : public Disk {
 public:
  ssize_t Write(int fd, void const* data, std::size_t size) override {
    return write(fd, data, size);
  }
  int DataSync(int fd) override { return fdatasync(fd); }
  int Allocate(int fd, off_t offset, off_t length) override {
    // FALLOC_FL_KEEP_SIZE: the blocks are allocated, the file does not grow.
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length);
  }
};

}  // namespace

Disk& PosixDisk() {
  static Posix disk;
  return disk;
}

}  // namespace linkgateway::server::audit
