#include "tests/nemesis/cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/testing/child_process.h"

namespace linkgateway::tests::nemesis {
namespace {

constexpr char kFakeTime[] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d)); }

absl::Mutex channels_mu;
absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels
    ABSL_GUARDED_BY(channels_mu);

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  std::unique_ptr<Cluster> cluster(new Cluster());
  cluster->options_ = options;
  char const* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/nemesis-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  cluster->directory_ = pattern;

  tests::testing::RedisServerOptions redis;
  redis.persistent = true;
  redis.password = cluster->redis_password_;
  auto started_redis = tests::testing::RedisServer::Start(redis);
  if (!started_redis.ok()) return started_redis.status();
  cluster->redis_ = *std::move(started_redis);
  auto started_postgres = tests::testing::PostgresServer::Start();
  if (!started_postgres.ok()) return started_postgres.status();
  cluster->postgres_ = *std::move(started_postgres);

  std::string redis_secret = pattern + "/redis-password";
  std::ofstream(redis_secret) << cluster->redis_password_ << "\n";
  std::string conninfo = pattern + "/pg-conninfo";
  std::ofstream(conninfo) << cluster->postgres_->conninfo() << "\n";
  std::string sqlite_dir = pattern + "/replica-2";
  std::filesystem::create_directories(sqlite_dir);
  cluster->sqlite_path_ = sqlite_dir + "/unlink-jobs.sqlite3";

  std::filesystem::create_directories(pattern + "/audit-disk");
  auto disk = tests::security::LoopFileSystem::Mount(pattern + "/audit-disk");
  if (disk.ok()) {
    cluster->audit_disk_ = *std::move(disk);
    cluster->audit_mount_ = cluster->audit_disk_->mount_point();
  } else {
    cluster->audit_disk_problem_ = std::string(disk.status().message());
  }
  if (!std::filesystem::exists(kFakeTime)) {
    cluster->fake_clock_problem_ =
        absl::StrCat(kFakeTime, " is missing (Debian's faketime: bash bazel/install-deps.sh)");
  }

  tests::testing::EmulatedGatewayOptions gateway;
  gateway.replicas = kReplicas;
  gateway.amazon_args = {"--sp-rate", "1", "--sp-burst", "5"};  // the documented plan
  gateway.extra_config = absl::StrCat(
      "shared_state {\n  address: \"", cluster->redis_->address(), "\"\n  password { file: \"",
      redis_secret, "\" }\n  replicas: ", kReplicas,
      "\n  max_reconnect_backoff { seconds: 2 }\n}\n",
      "idempotency { retention { seconds: ", Seconds(options.idempotency_retention), " } }\n");
  std::string job_options = absl::StrCat(
      "  lease { seconds: ", Seconds(options.lease),
      " }\n  follow_interval { nanos: 200000000 }\n  step_deadline { seconds: 10 }\n"
      "  postgres_connect_timeout { seconds: 2 }\n  postgres_statement_timeout { seconds: 2 }\n");
  for (int i = 0; i < kReplicas; ++i) {
    std::string store = i == kSqliteReplica
                            ? absl::StrCat("  state_directory: \"", sqlite_dir, "\"\n")
                            : absl::StrCat("  postgres { file: \"", conninfo, "\" }\n");
    gateway.replica_config.push_back(absl::StrCat("unlink {\n", store, "  replica_id: \"nemesis-r",
                                                  i, "\"\n", job_options, "}\n"));
    cluster->audit_paths_.push_back(absl::StrCat(pattern, "/audit-", i, ".jsonl"));
  }
  if (!cluster->audit_mount_.empty()) {
    cluster->audit_paths_[kAuditDiskReplica] = cluster->audit_mount_ + "/audit.jsonl";
  }
  for (int i = 0; i < kReplicas; ++i) {
    gateway.replica_security_config.push_back(
        absl::StrCat("plaintext: true audit { path: \"", cluster->audit_paths_[i], "\" }"));
  }
  auto env = tests::testing::EmulatedGateway::Start(gateway);
  if (!env.ok()) return env.status();
  cluster->env_ = *std::move(env);
  if (cluster->fake_clock_problem_.empty()) {
    cluster->fake_clock_file_ = pattern + "/fake-clock";
    if (absl::Status clock = cluster->SetClockOffset(absl::ZeroDuration()); !clock.ok()) {
      return clock;
    }
    if (absl::Status restarted = cluster->RestartReplica(kFakeClockReplica, SIGTERM);
        !restarted.ok()) {
      return restarted;
    }
  }
  return cluster;
}

Cluster::~Cluster() {
  bool keep = std::getenv("NEMESIS_KEEP") != nullptr && std::getenv("NEMESIS_KEEP")[0] == '1';
  if (keep && env_ != nullptr) {
    for (int i = 0; i < env_->replica_count(); ++i) {
      std::ofstream(absl::StrCat(directory_, "/replica-", i, ".log")) << env_->replica(i).Output();
    }
  }
  env_.reset();
  audit_disk_.reset();
  // NEMESIS_KEEP=1 keeps the stores, trails and logs to look at.
  if (keep) {
    std::printf("nemesis: kept %s\n", directory_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::shared_ptr<grpc::Channel> Cluster::Channel(int replica) {
  std::string address = env_->replica(replica).address();
  absl::MutexLock lock(&channels_mu);
  auto& channel = channels[address];
  if (channel == nullptr) {
    channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  return channel;
}

absl::Status Cluster::RestartReplica(int replica, int signal) {
  bool fake = replica == kFakeClockReplica && fake_clock_problem_.empty();
  if (fake) {
    // Only the wall clock jumps (as an NTP step would); timers keep the
    // monotonic one.
    setenv("LD_PRELOAD", kFakeTime, 1);
    setenv("FAKETIME_TIMESTAMP_FILE", fake_clock_file_.c_str(), 1);
    setenv("FAKETIME_CACHE_DURATION", "1", 1);
    setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
  }
  absl::Status restarted = env_->Restart(replica, signal);
  if (fake) {
    unsetenv("LD_PRELOAD");
    unsetenv("FAKETIME_TIMESTAMP_FILE");
    unsetenv("FAKETIME_CACHE_DURATION");
    unsetenv("FAKETIME_DONT_FAKE_MONOTONIC");
  }
  return restarted;
}

absl::Status Cluster::SetClockOffset(absl::Duration offset) {
  if (!fake_clock_problem_.empty()) return absl::FailedPreconditionError(fake_clock_problem_);
  std::string temporary = fake_clock_file_ + ".new";
  std::int64_t seconds = absl::ToInt64Seconds(offset);
  std::ofstream(temporary) << (seconds >= 0 ? "+" : "") << seconds << "\n";
  if (std::rename(temporary.c_str(), fake_clock_file_.c_str()) != 0) {
    return absl::InternalError("cannot set the fake clock");
  }
  return absl::OkStatus();
}

absl::Status Cluster::FillAuditDisk() {
  if (audit_disk_ == nullptr) return absl::FailedPreconditionError(audit_disk_problem_);
  return audit_disk_->Fill();
}

absl::Status Cluster::FreeAuditDisk() {
  if (audit_disk_ == nullptr) return absl::FailedPreconditionError(audit_disk_problem_);
  return audit_disk_->Free();
}

absl::Status Cluster::BreakAuditDisk() {
  if (audit_disk_ == nullptr) return absl::FailedPreconditionError(audit_disk_problem_);
  return audit_disk_->Fail();
}

absl::Status Cluster::RepairAuditDisk() {
  if (audit_disk_ == nullptr) return absl::FailedPreconditionError(audit_disk_problem_);
  return audit_disk_->Repair();
}

}  // namespace linkgateway::tests::nemesis
