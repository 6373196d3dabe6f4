// The embedded job store: one SQLite file (WAL mode, synchronous=FULL, so a
// committed step survives a crash of the process or the machine).
#ifndef LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_
#define LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_

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
                                               absl::Time lease_until) override;
  absl::Status Renew(std::string const& owner, absl::Time lease_until) override;
  absl::StatusOr<int> Purge(absl::Time before) override;

 private:
  class Statement;

  SqliteJobStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  absl::Status Exec(char const* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The job whose row `seq` is, with its steps.
  absl::StatusOr<StoredJob> Load(std::int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<std::int64_t>> SeqOf(std::string const& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  std::string const path_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_SQLITE_JOB_STORE_H_
