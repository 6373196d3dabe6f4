#include "server/unlink/postgres_job_store.h"

#include <endian.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "observability/log/log.h"

namespace linkgateway::server::unlink {

using google::protobuf::util::TimeUtil;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS unlink_jobs (
  seq BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  caller TEXT NOT NULL,
  request_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  header BYTEA NOT NULL,
  done BOOLEAN NOT NULL DEFAULT false,
  cancel_requested BOOLEAN NOT NULL DEFAULT false,
  owner TEXT NOT NULL DEFAULT '',
  lease_until_us BIGINT NOT NULL DEFAULT 0,
  update_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS unlink_jobs_request
  ON unlink_jobs (caller, request_id) WHERE request_id <> '';
CREATE INDEX IF NOT EXISTS unlink_jobs_unfinished ON unlink_jobs (done, owner);
CREATE TABLE IF NOT EXISTS unlink_steps (
  job_seq BIGINT NOT NULL REFERENCES unlink_jobs (seq) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  step BYTEA NOT NULL,
  PRIMARY KEY (job_seq, idx)
);
)sql";

std::string Int(std::int64_t v) { return absl::StrCat(v); }
std::string Micros(absl::Time t) { return Int(absl::ToUnixMicros(t)); }

}  // namespace

// A result, cleared when it goes out of scope; binary columns.
class PostgresJobStore::Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  Result& operator=(Result&&) = delete;
  ~Result() { PQclear(result_); }

  ExecStatusType status() const { return PQresultStatus(result_); }
  int rows() const { return PQntuples(result_); }
  int affected() const {
    int n = 0;
    return absl::SimpleAtoi(PQcmdTuples(result_), &n) ? n : 0;
  }
  std::string Bytes(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
  }
  std::int64_t Int64(int row, int column) const {
    std::uint64_t network = 0;
    std::memcpy(&network, PQgetvalue(result_, row, column), sizeof(network));
    return static_cast<std::int64_t>(be64toh(network));
  }
  bool Bool(int row, int column) const { return PQgetvalue(result_, row, column)[0] != 0; }

 private:
  PGresult* result_;
};

namespace {

// The server's notices are not the gateway's business on stderr.
void QuietNotices(void*, char const* message) {
  observability::log::Debug("unlink job store (PostgreSQL): ", message);
}

std::int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Sends `sql` on `conn` and waits for every result until `deadline`; the
// last good result, or the first error. False in `answered` when the server
// said nothing in time (the caller drops the connection).
absl::StatusOr<PGresult*> Exchange(PGconn* conn, char const* sql,
                                   std::vector<char const*> const& values,
                                   std::vector<int> const& lengths,
                                   std::vector<int> const& formats, absl::Time deadline,
                                   bool& answered) {
  answered = true;
  int sent = values.empty()
                 ? PQsendQuery(conn, sql)
                 : PQsendQueryParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                     values.data(), lengths.data(), formats.data(),
                                     /*resultFormat=*/1);
  if (sent == 0) return absl::UnavailableError(PQerrorMessage(conn));
  PGresult* last = nullptr;
  PGresult* error = nullptr;
  auto give_up = [&](absl::Status status) -> absl::StatusOr<PGresult*> {
    PQclear(last);
    PQclear(error);
    return status;
  };
  for (;;) {
    while (PQisBusy(conn)) {
      std::int64_t remaining = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (remaining <= 0) {
        answered = false;
        return give_up(absl::DeadlineExceededError("no answer"));
      }
      pollfd fd{PQsocket(conn), POLLIN, 0};
      int ready = poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(remaining, INT_MAX)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        answered = false;
        return give_up(absl::DeadlineExceededError("no answer"));
      }
      if (PQconsumeInput(conn) == 0) return give_up(absl::UnavailableError(PQerrorMessage(conn)));
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (error == nullptr) {
        error = result;
      } else {
        PQclear(result);
      }
    } else {
      PQclear(last);
      last = result;
    }
  }
  if (error != nullptr) {
    std::string message = PQresultErrorMessage(error);
    return give_up(absl::UnavailableError(message));
  }
  if (last == nullptr) return absl::UnavailableError("no result");
  return last;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresJobStore>> PostgresJobStore::Open(
    config::RotatingSecret conninfo, PostgresOptions options) {
  std::unique_ptr<PostgresJobStore> store(new PostgresJobStore(std::move(conninfo), options));
  absl::MutexLock lock(&store->mu_);
  if (absl::Status connected = store->Connect(store->conn_); !connected.ok()) return connected;
  // Replicas starting together may race to create the schema: one at a time.
  auto created = store->InTransaction<bool>([&]() -> absl::StatusOr<bool> {
    auto locked = store->Run("SELECT pg_advisory_xact_lock(7157382201)", {});
    if (!locked.ok()) return locked.status();
    auto schema = store->Run(kSchema, {});
    if (!schema.ok()) return schema.status();
    return true;
  });
  if (!created.ok()) return created.status();
  return store;
}

PostgresJobStore::~PostgresJobStore() {
  {
    absl::MutexLock lock(&probe_mu_);
    PQfinish(probe_conn_);
  }
  absl::MutexLock lock(&mu_);
  PQfinish(conn_);
}

absl::Status PostgresJobStore::Connect(PGconn*& conn) {
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) return absl::OkStatus();
  PQfinish(conn);
  // Ours first: what the connection string says wins (libpq reads the
  // arrays in order, and expands `dbname` when it is a connection string).
  std::string timeout = absl::StrCat(
      std::max<std::int64_t>(2, absl::ToInt64Seconds(absl::Ceil(options_.connect_timeout,
                                                                absl::Seconds(1)))));
  char const* keywords[] = {"connect_timeout", "dbname", nullptr};
  std::string conninfo = conninfo_.value();
  char const* values[] = {timeout.c_str(), conninfo.c_str(), nullptr};
  conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names the host and the reason, never the password.
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    conn = nullptr;
    return absl::UnavailableError(
        absl::StrCat("unlink job store (PostgreSQL) unreachable: ", message));
  }
  PQsetNoticeProcessor(conn, &QuietNotices, nullptr);
  std::string set = absl::StrCat("SET statement_timeout = ",
                                 absl::ToInt64Milliseconds(options_.statement_timeout),
                                 "; SET client_min_messages = warning");
  bool answered = true;
  auto result = Exchange(conn, set.c_str(), {}, {}, {},
                         absl::Now() + options_.connect_timeout, answered);
  if (!result.ok()) {
    PQfinish(conn);
    conn = nullptr;
    return absl::UnavailableError(absl::StrCat(
        "unlink job store (PostgreSQL): cannot set the statement timeout: ",
        answered ? result.status().message() : "no answer"));
  }
  PQclear(*result);
  return absl::OkStatus();
}

absl::StatusOr<PostgresJobStore::Result> PostgresJobStore::Execute(
    PGconn*& conn, char const* sql, std::vector<Param> const& params) {
  if (absl::Status connected = Connect(conn); !connected.ok()) return connected;
  std::vector<char const*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (auto const& p : params) {
    values.push_back(p.value.c_str());  // text parameters end with a NUL
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  // The server ends a statement at statement_timeout; one that cannot even
  // say so (stopped, cut off) is given up a second later.
  absl::Duration limit = options_.statement_timeout + absl::Seconds(1);
  bool answered = true;
  // No parameters: a script of several statements (the schema).
  auto result = Exchange(conn, sql, values, lengths, formats, absl::Now() + limit, answered);
  if (!answered) {
    PQfinish(conn);
    conn = nullptr;
    return absl::UnavailableError(absl::StrCat(
        "unlink job store (PostgreSQL): no answer within ", absl::FormatDuration(limit),
        "; the connection was dropped"));
  }
  if (!result.ok()) {
    if (PQstatus(conn) != CONNECTION_OK) {
      PQfinish(conn);
      conn = nullptr;
      return absl::UnavailableError(absl::StrCat(
          "unlink job store (PostgreSQL) connection lost: ", result.status().message()));
    }
    return absl::UnavailableError(
        absl::StrCat("unlink job store (PostgreSQL): ", result.status().message()));
  }
  return Result(*result);
}

absl::StatusOr<PostgresJobStore::Result> PostgresJobStore::Run(char const* sql,
                                                               std::vector<Param> const& params) {
  busy_since_us_.store(NowMicros());
  auto result = Execute(conn_, sql, params);
  busy_since_us_.store(INT64_MAX);
  return result;
}

absl::Status PostgresJobStore::Probe() {
  std::int64_t since = busy_since_us_.load();
  absl::Duration waited = absl::Microseconds(NowMicros() - since);
  if (since != INT64_MAX && waited > options_.statement_timeout + absl::Seconds(1)) {
    return absl::UnavailableError(
        absl::StrCat("unlink job store (PostgreSQL): a call has waited ",
                     absl::FormatDuration(absl::Trunc(waited, absl::Seconds(1))),
                     " for an answer"));
  }
  absl::MutexLock lock(&probe_mu_);
  return Execute(probe_conn_, "SELECT 1 FROM unlink_jobs LIMIT 1", {}).status();
}

template <typename T, typename Body>
absl::StatusOr<T> PostgresJobStore::InTransaction(Body body) {
  if (auto began = Run("BEGIN", {}); !began.ok()) return began.status();
  absl::StatusOr<T> result = body();
  auto ended = Run(result.ok() ? "COMMIT" : "ROLLBACK", {});
  if (result.ok() && !ended.ok()) {
    return absl::UnavailableError(
        absl::StrCat("unlink job store (PostgreSQL): commit failed: ", ended.status().message()));
  }
  return result;
}

absl::StatusOr<StoredJob> PostgresJobStore::Load(std::int64_t seq) {
  auto job_row = Run(
      "SELECT header, fingerprint, done, cancel_requested, update_us FROM unlink_jobs "
      "WHERE seq = $1",
      {{Int(seq)}});
  if (!job_row.ok()) return job_row.status();
  if (job_row->rows() != 1) return absl::NotFoundError("the job is gone");
  StoredJob job;
  if (!job.metadata.ParseFromString(job_row->Bytes(0, 0))) {
    return absl::DataLossError("unlink job store (PostgreSQL): a job is unreadable");
  }
  job.fingerprint = job_row->Bytes(0, 1);
  job.done = job_row->Bool(0, 2);
  job.metadata.set_cancel_requested(job_row->Bool(0, 3));
  *job.metadata.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(job_row->Int64(0, 4));
  job.metadata.clear_steps();
  auto steps = Run("SELECT step FROM unlink_steps WHERE job_seq = $1 ORDER BY idx", {{Int(seq)}});
  if (!steps.ok()) return steps.status();
  for (int r = 0; r < steps->rows(); ++r) {
    if (!job.metadata.add_steps()->ParseFromString(steps->Bytes(r, 0))) {
      return absl::DataLossError("unlink job store (PostgreSQL): a step is unreadable");
    }
  }
  return job;
}

absl::StatusOr<JobStore::Created> PostgresJobStore::Create(StoredJob const& job,
                                                           std::string const& owner,
                                                           absl::Time lease_until) {
  absl::MutexLock lock(&mu_);
  auto const& m = job.metadata;
  v1::UnlinkMetadata header = m;
  header.clear_steps();
  return InTransaction<Created>([&]() -> absl::StatusOr<Created> {
    // The unique (caller, request_id) index decides between racing starts.
    auto inserted = Run(
        "INSERT INTO unlink_jobs (name, caller, request_id, fingerprint, header, done, owner, "
        "lease_until_us, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (caller, request_id) WHERE request_id <> '' DO NOTHING RETURNING seq",
        {{m.name()},
         {m.caller()},
         {m.request_id()},
         {job.fingerprint},
         {header.SerializeAsString(), true},
         {job.done ? "true" : "false"},
         {owner},
         {Micros(lease_until)},
         {Int(TimeUtil::TimestampToMicroseconds(m.update_time()))}});
    if (!inserted.ok()) return inserted.status();
    if (inserted->rows() == 0) {
      auto existing = Run("SELECT seq FROM unlink_jobs WHERE caller = $1 AND request_id = $2",
                          {{m.caller()}, {m.request_id()}});
      if (!existing.ok()) return existing.status();
      if (existing->rows() != 1) return absl::AbortedError("the earlier job vanished; retry");
      auto loaded = Load(existing->Int64(0, 0));
      if (!loaded.ok()) return loaded.status();
      return Created{false, *std::move(loaded)};
    }
    std::int64_t seq = inserted->Int64(0, 0);
    for (int i = 0; i < m.steps_size(); ++i) {
      auto step = Run("INSERT INTO unlink_steps (job_seq, idx, step) VALUES ($1, $2, $3)",
                      {{Int(seq)}, {Int(i)}, {m.steps(i).SerializeAsString(), true}});
      if (!step.ok()) return step.status();
    }
    return Created{true, job};
  });
}

absl::Status PostgresJobStore::SaveStep(std::string const& name, std::string const& owner,
                                        int index, v1::UnlinkStep const& step) {
  absl::MutexLock lock(&mu_);
  // One statement: one round trip and one commit for every step's intent
  // and outcome (a transaction of four took 2.75 ms a write, the most of
  // what bounds the jobs a replica runs). The job's row lock, taken by the
  // first UPDATE, orders it with a claim by another replica as before.
  auto saved =
      Run("WITH job AS (UPDATE unlink_jobs SET update_us = $1 WHERE name = $2 AND owner = $3 AND "
          "NOT done RETURNING seq) "
          "UPDATE unlink_steps SET step = $4 FROM job WHERE unlink_steps.job_seq = job.seq AND "
          "unlink_steps.idx = $5 RETURNING unlink_steps.idx",
          {{Int(TimeUtil::TimestampToMicroseconds(step.update_time()))},
           {name},
           {owner},
           {step.SerializeAsString(), true},
           {Int(index)}});
  if (!saved.ok()) return saved.status();
  if (saved->rows() == 1) return absl::OkStatus();
  // Nothing was written: which of the two it was.
  auto held = Run("SELECT 1 FROM unlink_jobs WHERE name = $1 AND owner = $2 AND NOT done",
                  {{name}, {owner}});
  if (!held.ok()) return held.status();
  if (held->rows() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("unlink job ", name, " is no longer held by this gateway"));
  }
  return absl::NotFoundError("no such step");
}

absl::Status PostgresJobStore::MarkCancelRequested(std::string const& name) {
  absl::MutexLock lock(&mu_);
  return Run("UPDATE unlink_jobs SET cancel_requested = true WHERE name = $1", {{name}}).status();
}

absl::Status PostgresJobStore::MarkDone(std::string const& name, std::string const& owner) {
  absl::MutexLock lock(&mu_);
  auto done = Run(
      "UPDATE unlink_jobs SET done = true, owner = '', lease_until_us = 0 "
      "WHERE name = $1 AND owner = $2",
      {{name}, {owner}});
  if (!done.ok()) return done.status();
  if (done->affected() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("unlink job ", name, " is no longer held by this gateway"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredJob>> PostgresJobStore::Get(std::string const& name) {
  absl::MutexLock lock(&mu_);
  auto seq = Run("SELECT seq FROM unlink_jobs WHERE name = $1", {{name}});
  if (!seq.ok()) return seq.status();
  if (seq->rows() == 0) return std::nullopt;
  auto job = Load(seq->Int64(0, 0));
  if (!job.ok()) return job.status();
  return std::optional<StoredJob>(*std::move(job));
}

absl::StatusOr<JobPage> PostgresJobStore::List(JobQuery const& query) {
  absl::MutexLock lock(&mu_);
  std::int64_t before = INT64_MAX;
  if (!query.page_token.empty() && !absl::SimpleAtoi(query.page_token, &before)) {
    return absl::InvalidArgumentError("page_token: not a token this gateway issued");
  }
  auto rows = Run(
      "SELECT seq FROM unlink_jobs WHERE seq < $1 AND ($2 = 0 OR caller = $3) "
      "AND ($4 < 0 OR done = ($4 = 1)) ORDER BY seq DESC LIMIT $5",
      {{Int(before)},
       {Int(query.caller.has_value() ? 1 : 0)},
       {query.caller.value_or("")},
       {Int(query.done.has_value() ? (*query.done ? 1 : 0) : -1)},
       {Int(query.page_size + 1)}});
  if (!rows.ok()) return rows.status();
  std::vector<std::int64_t> seqs;
  for (int r = 0; r < rows->rows(); ++r) seqs.push_back(rows->Int64(r, 0));
  JobPage page;
  if (static_cast<int>(seqs.size()) > query.page_size) {
    seqs.pop_back();
    page.next_page_token = Int(seqs.back());
  }
  for (std::int64_t seq : seqs) {
    auto job = Load(seq);
    if (!job.ok()) return job.status();
    page.jobs.push_back(*std::move(job));
  }
  return page;
}

absl::StatusOr<std::vector<StoredJob>> PostgresJobStore::Claim(std::string const& owner,
                                                               absl::Time now,
                                                               absl::Time lease_until, Held held) {
  absl::MutexLock lock(&mu_);
  return InTransaction<std::vector<StoredJob>>(
      [&]() -> absl::StatusOr<std::vector<StoredJob>> {
        // Rows another replica is claiming or saving right now are skipped,
        // not waited for: they are not free.
        auto claimed =
            Run("UPDATE unlink_jobs SET owner = $1, lease_until_us = $2 WHERE seq IN ("
                "SELECT seq FROM unlink_jobs WHERE NOT done AND (lease_until_us < $3 OR "
                "(owner = $1 AND ($4::boolean OR cancel_requested))) "
                "FOR UPDATE SKIP LOCKED) RETURNING seq",
                {{owner},
                 {Micros(lease_until)},
                 {Micros(now)},
                 {held == Held::kAll ? "true" : "false"}});
        if (!claimed.ok()) return claimed.status();
        std::vector<StoredJob> jobs;
        for (int r = 0; r < claimed->rows(); ++r) {
          auto job = Load(claimed->Int64(r, 0));
          if (!job.ok()) return job.status();
          jobs.push_back(*std::move(job));
        }
        return jobs;
      });
}

absl::Status PostgresJobStore::Renew(std::string const& owner, absl::Time lease_until) {
  absl::MutexLock lock(&mu_);
  return Run("UPDATE unlink_jobs SET lease_until_us = $1 WHERE owner = $2 AND NOT done",
             {{Micros(lease_until)}, {owner}})
      .status();
}

absl::StatusOr<int> PostgresJobStore::Purge(absl::Time before) {
  absl::MutexLock lock(&mu_);
  auto purged = Run("DELETE FROM unlink_jobs WHERE done AND update_us < $1", {{Micros(before)}});
  if (!purged.ok()) return purged.status();
  return purged->affected();
}

}  // namespace linkgateway::server::unlink
