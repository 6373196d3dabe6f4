// What the nemesis runs against: three replicas of the real gateway binary
// behind real servers, each of which a fault can break.
//
//   replica 0 and 1: unlink jobs in a shared PostgreSQL; replica 2: its own
//   SQLite file. All three share one Redis (append-only file fsynced at every
//   write, as the gateway's request_id records need, and a password).
//   Replica 0 writes its audit trail to a loop-mounted ext4 image (when this
//   machine can mount one: root and a loop device), so the disk can be
//   filled or turned read-only; replica 1 runs under libfaketime (when
//   installed), so its wall clock can jump.
#ifndef LINKGATEWAY_TESTS_NEMESIS_CLUSTER_H_
#define LINKGATEWAY_TESTS_NEMESIS_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "tests/security/loop_file_system.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::tests::nemesis {

inline constexpr int kReplicas = 3;
inline constexpr int kSqliteReplica = 2;   // the one with its own SQLite store
inline constexpr int kAuditDiskReplica = 0;
inline constexpr int kFakeClockReplica = 1;

struct ClusterOptions {
  // How long request_id records are kept, hence how long unknown ids are
  // refused after Redis lost them.
  absl::Duration idempotency_retention = absl::Seconds(20);
  absl::Duration lease = absl::Seconds(3);
};

class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options = {});
  ~Cluster();

  tests::testing::EmulatedGateway& env() { return *env_; }
  tests::testing::RedisServer& redis() { return *redis_; }
  tests::testing::PostgresServer& postgres() { return *postgres_; }
  std::string const& redis_password() const { return redis_password_; }

  // A channel to replica `i` as it runs now (its address changes when it is
  // restarted).
  std::shared_ptr<grpc::Channel> Channel(int replica);

  // Stops replica `i` with `signal` and starts it again with its
  // configuration (replica 1 under libfaketime when available); the error
  // (with its output) when it does not start.
  absl::Status RestartReplica(int replica, int signal);

  // Replica 2's SQLite store.
  std::string const& sqlite_path() const { return sqlite_path_; }
  // Every replica's audit trail.
  std::vector<std::string> const& audit_paths() const { return audit_paths_; }

  // The audit disk of replica 0: empty `audit_mount()` when none could be
  // made, and why (audit_disk_problem()).
  std::string const& audit_mount() const { return audit_mount_; }
  std::string const& audit_disk_problem() const { return audit_disk_problem_; }
  // Fills it (to ENOSPC) / frees it again.
  absl::Status FillAuditDisk();
  absl::Status FreeAuditDisk();
  // Turns it read-only as a failing device does (an ext4 error with
  // errors=remount-ro) / repairs it (tests/security's LoopFileSystem:
  // unmount, e2fsck, mount again at the same place).
  absl::Status BreakAuditDisk();
  absl::Status RepairAuditDisk();

  // Replica 1's wall-clock offset (libfaketime); "" when unavailable.
  std::string const& fake_clock_problem() const { return fake_clock_problem_; }
  absl::Status SetClockOffset(absl::Duration offset);

 private:
  Cluster() = default;

  ClusterOptions options_;
  std::string directory_;
  std::string redis_password_ = "nemesis-redis-password";
  std::unique_ptr<tests::testing::RedisServer> redis_;
  std::unique_ptr<tests::testing::PostgresServer> postgres_;
  std::unique_ptr<tests::testing::EmulatedGateway> env_;
  std::string sqlite_path_;
  std::vector<std::string> audit_paths_;
  std::unique_ptr<tests::security::LoopFileSystem> audit_disk_;
  std::string audit_mount_;  // audit_disk_'s mount point
  std::string audit_disk_problem_;
  std::string fake_clock_file_;
  std::string fake_clock_problem_;
};

}  // namespace linkgateway::tests::nemesis

#endif  // LINKGATEWAY_TESTS_NEMESIS_CLUSTER_H_
