// The job store several replicas share: PostgreSQL through libpq. The same
// schema and semantics as the SQLite store; a replica claims unfinished jobs
// whose lease lapsed with row locks (FOR UPDATE SKIP LOCKED), so two
// replicas never run the same job, and a step is saved only by the replica
// holding its job's lease.
#ifndef LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_
#define LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/unlink/job_store.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace linkgateway::server::unlink {

class PostgresJobStore final : public JobStore {
 public:
  // Connects with the libpq `conninfo` and creates the schema when missing.
  // Errors never repeat the connection string (it may hold a password).
  static absl::StatusOr<std::unique_ptr<PostgresJobStore>> Open(std::string conninfo);
  ~PostgresJobStore() override;

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
  class Result;
  // A parameter: text, or bytes (bytea).
  struct Param {
    std::string value;
    bool binary = false;
  };

  explicit PostgresJobStore(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  // Connects (again) when there is no healthy connection.
  absl::Status Connect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `sql` with `params`; results in binary format.
  absl::StatusOr<Result> Run(char const* sql, std::vector<Param> const& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredJob> Load(std::int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` in a transaction: committed when it returns OK, else rolled back.
  template <typename T, typename Body>
  absl::StatusOr<T> InTransaction(Body body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string const conninfo_;
  absl::Mutex mu_;
  PGconn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_
