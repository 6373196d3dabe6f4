#include "tests/nemesis/faults.h"

#include <signal.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace linkgateway::tests::nemesis {
namespace {

// Replica 2's store files, copied aside (and back).
absl::Status Copy(std::string const& from_base, std::string const& to_base) {
  std::error_code error;
  for (char const* suffix : {"", "-wal", "-shm"}) {
    std::string from = from_base + suffix, to = to_base + suffix;
    std::filesystem::remove(to, error);
    if (std::filesystem::exists(from)) {
      std::filesystem::copy_file(from, to, error);
      if (error) return absl::InternalError(absl::StrCat("copy ", from, ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

// Everything in the main file (the write-ahead log checkpointed), so
// damage to it is damage to the data.
absl::Status Checkpoint(std::string const& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return absl::InternalError("cannot open the store to checkpoint it");
  }
  int rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc == SQLITE_OK ? absl::OkStatus() : absl::InternalError("checkpoint failed");
}

// The gateway must refuse to start on the store as it is now.
void ExpectRefused(Cluster& cluster, Fault& fault, std::string const& damage) {
  absl::Status started = cluster.RestartReplica(kSqliteReplica, SIGKILL);
  if (started.ok()) {
    fault.violations.push_back(absl::StrCat("replica 2 started and served its store after ",
                                            damage));
    return;
  }
  std::string said(started.message());
  auto at = said.find("the unlink job store");
  fault.notes.push_back(absl::StrCat(
      damage, ": refused to start: ",
      at == std::string::npos ? said.substr(0, 200) : said.substr(at, 200)));
}

}  // namespace

std::vector<Fault> AllFaults(Cluster& cluster) {
  std::vector<Fault> faults;
  auto add = [&](Fault fault) { faults.push_back(std::move(fault)); };

  add({"redis_kill", "shared_state", -1, -1, false,
       [](Cluster& c, Fault&) {
         c.redis().Stop();
         return absl::OkStatus();
       },
       [](Cluster& c, Fault&) { return c.redis().Restart(); }, {}, {}});
  add({"redis_restart_empty", "shared_state", -1, -1, false,
       [](Cluster& c, Fault&) { return c.redis().RestartEmpty(); },
       [](Cluster&, Fault&) { return absl::OkStatus(); }, {}, {}});
  add({"redis_stall", "shared_state", -1, -1, false,
       [](Cluster& c, Fault&) {
         c.redis().Pause();
         return absl::OkStatus();
       },
       [](Cluster& c, Fault&) {
         c.redis().Resume();
         return absl::OkStatus();
       }, {}, {}});
  add({"redis_wrong_password", "shared_state", -1, -1, false,
       [](Cluster& c, Fault&) {
         // The password is changed under the gateways, their connections cut.
         if (absl::Status s = c.redis().SetPassword("nemesis-rotated"); !s.ok()) return s;
         return c.redis().Cli({"CLIENT", "KILL", "TYPE", "normal"}).status();
       },
       [](Cluster& c, Fault&) { return c.redis().SetPassword(c.redis_password()); }, {}, {}});
  add({"postgres_kill", "job_store", -1, -1, true,
       [](Cluster& c, Fault&) {
         c.postgres().Kill();
         return absl::OkStatus();
       },
       [](Cluster& c, Fault&) { return c.postgres().Restart(); }, {}, {}});
  add({"postgres_stall", "job_store", -1, -1, true,
       [](Cluster& c, Fault&) {
         c.postgres().Pause();
         return absl::OkStatus();
       },
       [](Cluster& c, Fault&) {
         c.postgres().Resume();
         return absl::OkStatus();
       }, {}, {}});
  add({"postgres_restart", "", -1, -1, true,
       [](Cluster& c, Fault&) { return c.postgres().Restart(); },
       [](Cluster&, Fault&) { return absl::OkStatus(); }, {}, {}});
  add({"sqlite_damage", "", -1, kSqliteReplica, false,
       [](Cluster& c, Fault& fault) {
         std::string const& path = c.sqlite_path();
         std::string backup = path + ".nemesis-backup";
         c.env().replica(kSqliteReplica).Stop(SIGKILL);
         if (absl::Status s = Copy(path, backup); !s.ok()) return s;
         // 1. Emptied: truncated to 0 bytes, its write-ahead log gone.
         std::error_code error;
         std::filesystem::resize_file(path, 0, error);
         std::filesystem::remove(path + "-wal", error);
         std::filesystem::remove(path + "-shm", error);
         ExpectRefused(c, fault, "the store truncated to 0 bytes");
         // 2. Damaged: every page but the first overwritten.
         if (absl::Status s = Copy(backup, path); !s.ok()) return s;
         if (absl::Status s = Checkpoint(path); !s.ok()) return s;
         auto size = std::filesystem::file_size(path, error);
         if (!error && size > 4096) {
           std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
           file.seekp(4096);
           std::string garbage(size - 4096, '\xa5');
           file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
         }
         ExpectRefused(c, fault, "the store's pages overwritten");
         return absl::OkStatus();
       },
       [](Cluster& c, Fault&) {
         std::string const& path = c.sqlite_path();
         if (absl::Status s = Copy(path + ".nemesis-backup", path); !s.ok()) return s;
         return c.RestartReplica(kSqliteReplica, SIGKILL);
       }, {}, {}});
  // The trail keeps 1 MiB reserved ahead of its end (fallocate), so a disk
  // filled by someone else does not stop it: its health stays SERVING, and
  // the rules that hold are that every delete sent is in the trail.
  Fault full{
      "audit_disk_full",
      "",
      kAuditDiskReplica,
      -1,
      false,
      [](Cluster& c, Fault& fault) {
        fault.notes.push_back("disk filled to ENOSPC; the trail writes into the space it reserved");
        return c.FillAuditDisk();
      },
      [](Cluster& c, Fault&) { return c.FreeAuditDisk(); },
      {},
      {}};
  Fault read_only{"audit_disk_read_only", "audit_trail", kAuditDiskReplica, -1, false,
                  [](Cluster& c, Fault&) { return c.BreakAuditDisk(); },
                  [](Cluster& c, Fault&) { return c.RepairAuditDisk(); }, {}, {}};
  for (Fault* fault : {&full, &read_only}) {
    if (cluster.audit_mount().empty()) {
      fault->notes.push_back(absl::StrCat("SKIPPED: no loop-mounted disk here (",
                                          cluster.audit_disk_problem(), ")"));
      fault->inject = nullptr;
    }
    add(std::move(*fault));
  }
  Fault clock{"clock_jump", "", -1, kFakeClockReplica, false,
              [](Cluster& c, Fault& fault) {
                fault.notes.push_back("replica 1's wall clock +90 s, then back");
                return c.SetClockOffset(absl::Seconds(90));
              },
              [](Cluster& c, Fault&) {
                if (absl::Status s = c.SetClockOffset(absl::ZeroDuration()); !s.ok()) return s;
                // A fresh process: no wait computed on the jumped clock is left.
                return c.RestartReplica(kFakeClockReplica, SIGTERM);
              },
              {},
              {}};
  if (!cluster.fake_clock_problem().empty()) {
    clock.notes.push_back(absl::StrCat("SKIPPED: ", cluster.fake_clock_problem()));
    clock.inject = nullptr;
  }
  add(std::move(clock));
  return faults;
}

}  // namespace linkgateway::tests::nemesis
