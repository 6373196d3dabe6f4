// The embedded job store: one SQLite file (WAL mode, synchronous=FULL, so a
// committed step survives a crash of the process or the machine).
//
// A store that is not the one the gateway wrote is never served silently.
// The file carries the gateway's application_id and schema version
// (user_version) and a random store id; a marker beside it
// (<file>.marker) names that id and says once jobs were stored. Open
// refuses, saying why and what to do: a missing or empty file where the
// marker says jobs existed, a file of another store or another program, a
// schema from a newer gateway, a failed integrity check (PRAGMA quick_check)
// or an unfinished job that cannot be read. Probe() notices the file being
// removed, replaced or damaged while the gateway runs.
#ifndef LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_
#define LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/unlink/job_store.h"

struct sqlite3;

namespace linkgateway::server::unlink {

class SqliteJobStore final : public JobStore {
 public:
  // Opens (or creates, readable by its owner only) `path` and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteJobStore>> Open(std::string const& path);
  ~SqliteJobStore() override;

  absl::StatusOr<Created> Create(StoredJob const& job, std::string const& owner,
                                 absl::Time lease_until) override;
  absl::Status SaveStep(std::string const& name, std::string const& owner, int index,
                        v1::UnlinkStep const& step) override;
  absl::Status MarkCancelRequested(std::string const& name) override;
  absl::Status MarkDone(std::string const& name, std::string const& owner) override;
  absl::StatusOr<std::optional<StoredJob>> Get(std::string const& name) override;
  absl::StatusOr<JobPage> List(JobQuery const& query) override;
  absl::StatusOr<std::vector<StoredJob>> Claim(std::string const& owner, absl::Time now,
                                               absl::Time lease_until, Held held) override;
  absl::Status Renew(std::string const& owner, absl::Time lease_until) override;
  absl::StatusOr<int> Purge(absl::Time before) override;
  absl::Status Probe() override ABSL_LOCKS_EXCLUDED(probe_mu_);

  // The marker beside `path`.
  static std::string MarkerPath(std::string const& path) { return path + ".marker"; }

 private:
  class Statement;

  SqliteJobStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // The checks of Open on a database that opened: application_id,
  // user_version, integrity, identity against the marker, readable jobs.
  absl::Status Verify(bool marker_says_jobs, std::string const& marker_store)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the marker (atomically, durably) saying whether jobs were stored.
  absl::Status WriteMarker(bool jobs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(char const* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The job whose row `seq` is, with its steps.
  absl::StatusOr<StoredJob> Load(std::int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<std::int64_t>> SeqOf(std::string const& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  std::string const path_;
  std::string store_id_;  // set by Open
  bool marker_says_jobs_ ABSL_GUARDED_BY(mu_) = false;
  dev_t device_ = 0;  // the file Open checked
  ino_t inode_ = 0;
  absl::Mutex probe_mu_;
  absl::Time next_integrity_check_ ABSL_GUARDED_BY(probe_mu_) = absl::InfinitePast();
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_
