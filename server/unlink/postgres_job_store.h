// The job store several replicas share: PostgreSQL through libpq. The same
// schema and semantics as the SQLite store; a replica claims unfinished jobs
// whose lease lapsed with row locks (FOR UPDATE SKIP LOCKED), so two
// replicas never run the same job, and a step is saved only by the replica
// holding its job's lease.
//
// Every call is bounded: connecting by connect_timeout, each statement by
// statement_timeout on the server and, should the server not answer at all
// (stopped, unreachable without a reset), by the same time plus a second on
// the client, after which the connection is dropped and the call fails
// UNAVAILABLE. The server's notices (e.g. "relation already exists,
// skipping" at every start) go to the debug log, not to stderr.
#ifndef LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_
#define LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "config/rotating_secret.h"
#include "server/unlink/job_store.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace linkgateway::server::unlink {

struct PostgresOptions {
  // libpq connect_timeout (whole seconds, at least 2); a connection
  // string's own connect_timeout wins.
  absl::Duration connect_timeout = absl::Seconds(5);
  // SET statement_timeout for every connection.
  absl::Duration statement_timeout = absl::Seconds(10);
};

class PostgresJobStore final : public JobStore {
 public:
  // Connects with the libpq `conninfo` and creates the schema when missing;
  // each (re)connect takes its current value (a rotated secret file). Errors
  // never repeat the connection string (it may hold a password).
  static absl::StatusOr<std::unique_ptr<PostgresJobStore>> Open(config::RotatingSecret conninfo,
                                                                PostgresOptions options = {});
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
                                               absl::Time lease_until, Held held) override;
  absl::Status Renew(std::string const& owner, absl::Time lease_until) override;
  absl::StatusOr<int> Purge(absl::Time before) override;
  // A statement on a connection of its own (the main one may be busy), and
  // how long the main one's current call has waited.
  absl::Status Probe() override ABSL_LOCKS_EXCLUDED(mu_, probe_mu_);

 private:
  class Result;
  // A parameter: text, or bytes (bytea).
  struct Param {
    std::string value;
    bool binary = false;
  };

  PostgresJobStore(config::RotatingSecret conninfo, PostgresOptions options)
      : conninfo_(std::move(conninfo)), options_(options) {}

  // Connects `conn` (again) when it is not a healthy connection.
  absl::Status Connect(PGconn*& conn);
  // Runs `sql` with `params` on `conn` within the statement timeout; results
  // in binary format. A server that does not answer in time loses the
  // connection.
  absl::StatusOr<Result> Execute(PGconn*& conn, char const* sql, std::vector<Param> const& params);
  absl::StatusOr<Result> Run(char const* sql, std::vector<Param> const& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredJob> Load(std::int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` in a transaction: committed when it returns OK, else rolled back.
  template <typename T, typename Body>
  absl::StatusOr<T> InTransaction(Body body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  config::RotatingSecret const conninfo_;
  PostgresOptions const options_;
  absl::Mutex mu_;
  PGconn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Mutex probe_mu_;
  PGconn* probe_conn_ ABSL_GUARDED_BY(probe_mu_) = nullptr;
  // When the call on conn_ began (InfiniteFuture when none runs).
  std::atomic<std::int64_t> busy_since_us_{INT64_MAX};
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_POSTGRES_JOB_STORE_H_
