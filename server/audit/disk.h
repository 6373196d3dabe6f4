// The calls through which the audit trail learns whether its disk still
// takes data (write, fdatasync, fallocate), behind an interface so tests can
// make a disk fail the way real ones do (EIO on fdatasync with the file
// system otherwise fine) as well as on a real failing file system.
#ifndef LINKGATEWAY_SERVER_AUDIT_DISK_H_
#define LINKGATEWAY_SERVER_AUDIT_DISK_H_

#include <sys/types.h>

#include <cstddef>

namespace linkgateway::server::audit {

class Disk {
 public:
  virtual ~Disk() = default;
  // As write(2), fdatasync(2) and fallocate(2) with FALLOC_FL_KEEP_SIZE:
  // -1 and errno on failure.
  virtual ssize_t Write(int fd, void const* data, std::size_t size) = 0;
  virtual int DataSync(int fd) = 0;
  virtual int Allocate(int fd, off_t offset, off_t length) = 0;
};

// The system calls themselves.
Disk& PosixDisk();

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_DISK_H_
