#include "server/unlink/sqlite_job_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "observability/log/log.h"

namespace linkgateway::server::unlink {

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS unlink_jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  caller TEXT NOT NULL,
  request_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  header BLOB NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL DEFAULT '',
  lease_until_us INTEGER NOT NULL DEFAULT 0,
  update_us INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS unlink_jobs_request
  ON unlink_jobs (caller, request_id) WHERE request_id <> '';
CREATE INDEX IF NOT EXISTS unlink_jobs_unfinished ON unlink_jobs (done, owner);
CREATE TABLE IF NOT EXISTS unlink_steps (
  job_seq INTEGER NOT NULL REFERENCES unlink_jobs (seq) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  step BLOB NOT NULL,
  PRIMARY KEY (job_seq, idx)
);
)sql";

std::int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

// One prepared statement, finalized when it goes out of scope.
class SqliteJobStore::Statement {
 public:
  Statement(sqlite3* db, char const* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement const&) = delete;
  Statement& operator=(Statement const&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& Bind(int i, std::string const& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, std::string const& bytes) {
    sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, std::int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) {
    auto const* bytes = static_cast<char const*>(sqlite3_column_blob(stmt_, column));
    return bytes == nullptr ? std::string()
                            : std::string(bytes, sqlite3_column_bytes(stmt_, column));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

namespace {

// PRAGMA application_id of the gateway's stores ("lkgw"), and the schema
// version (PRAGMA user_version) this gateway writes.
constexpr std::int32_t kApplicationId = 0x6c6b6777;
constexpr int kSchemaVersion = 1;

constexpr char kIdentity[] = R"sql(
CREATE TABLE IF NOT EXISTS store_identity (id TEXT NOT NULL);
)sql";

struct Marker {
  std::string store;
  bool jobs = false;
};

// "store=<id>" and "jobs=yes|no" lines; nullopt when there is no marker.
absl::StatusOr<std::optional<Marker>> ReadMarker(std::string const& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  Marker marker;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = line;
    if (absl::ConsumePrefix(&text, "store=")) marker.store = std::string(text);
    if (absl::ConsumePrefix(&text, "jobs=")) marker.jobs = text == "yes";
  }
  return marker;
}

std::string NewStoreId() {
  std::random_device random;
  return absl::StrFormat("%08x%08x%08x%08x", random(), random(), random(), random());
}

// The file's directory, for an fsync that makes a rename durable.
std::string DirectoryOf(std::string const& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

absl::Status FailedStart(std::string const& path, absl::string_view problem,
                         absl::string_view remedy) {
  return absl::FailedPreconditionError(
      absl::StrCat("the unlink job store ", path, " ", problem, "; ", remedy));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(std::string const& path) {
  auto marker = ReadMarker(MarkerPath(path));
  if (!marker.ok()) return marker.status();
  bool had_jobs = marker->has_value() && (*marker)->jobs;
  struct stat before {};
  bool exists = ::stat(path.c_str(), &before) == 0;
  if (had_jobs && (!exists || before.st_size == 0)) {
    return FailedStart(path, exists ? "is empty (0 bytes)" : "is missing",
                       absl::StrCat("its marker ", MarkerPath(path), " says store ",
                                    (*marker)->store,
                                    " held jobs there. Restore the file from a backup; to start "
                                    "with an empty store instead, remove the marker"));
  }
  // Created readable by its owner only: the store names callers and targets.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the unlink job store ", path, ": ", std::strerror(errno)));
  }
  struct stat opened {};
  ::fstat(fd, &opened);
  ::close(fd);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open the unlink job store ", path, ": ", message));
  }
  std::unique_ptr<SqliteJobStore> store(new SqliteJobStore(db, path));
  store->device_ = opened.st_dev;
  store->inode_ = opened.st_ino;
  absl::MutexLock lock(&store->mu_);
  sqlite3_busy_timeout(db, 5000);
  if (absl::Status verified =
          store->Verify(had_jobs, marker->has_value() ? (*marker)->store : std::string());
      !verified.ok()) {
    return verified;
  }
  return store;
}

absl::Status SqliteJobStore::Verify(bool marker_says_jobs, std::string const& marker_store) {
  // The header first: a file that is not a database fails here. (Each
  // statement is finished before the next step: an open one would hold a
  // read transaction.)
  std::int32_t application_id = 0;
  int user_version = 0;
  bool has_schema = false;
  {
    Statement application(db_, "PRAGMA application_id");
    if (!application.ok() || application.Step() != SQLITE_ROW) {
      return FailedStart(path_, absl::StrCat("cannot be read as a SQLite database (",
                                             sqlite3_errmsg(db_), ")"),
                         "restore it from a backup, or move it away to start an empty store");
    }
    application_id = static_cast<std::int32_t>(application.Int(0));
    Statement version(db_, "PRAGMA user_version");
    if (version.ok() && version.Step() == SQLITE_ROW) user_version = static_cast<int>(version.Int(0));
    Statement tables(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'unlink_jobs'");
    has_schema = tables.ok() && tables.Step() == SQLITE_ROW && tables.Int(0) > 0;
  }
  if (application_id != 0 && application_id != kApplicationId) {
    return FailedStart(path_,
                       absl::StrFormat("belongs to another program (application_id 0x%08x)",
                                       static_cast<std::uint32_t>(application_id)),
                       "point unlink.state_directory at the gateway's own directory");
  }
  if (user_version > kSchemaVersion) {
    return FailedStart(path_,
                       absl::StrCat("was written by a newer gateway (schema ", user_version,
                                    ", this one knows ", kSchemaVersion, ")"),
                       "run that gateway's version or newer");
  }
  if (application_id == 0 && has_schema) {
    observability::log::Info("unlink job store ", path_,
                             ": written before stores were marked; marking it now");
  }
  std::vector<std::string> problems;
  {
    Statement check(db_, "PRAGMA quick_check(5)");
    if (!check.ok()) return Error("integrity check");
    int rc;
    while ((rc = check.Step()) == SQLITE_ROW) {
      if (check.Text(0) != "ok") problems.push_back(check.Text(0));
    }
    if (rc != SQLITE_DONE && problems.empty()) problems.push_back(sqlite3_errmsg(db_));
  }
  if (!problems.empty()) {
    return absl::DataLossError(absl::StrCat(
        "the unlink job store ", path_, " failed its integrity check (",
        absl::StrJoin(problems, "; "),
        "); restore it from a backup: a damaged store could lose or repeat a step"));
  }
  for (char const* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "PRAGMA foreign_keys=ON", kSchema, kIdentity}) {
    if (absl::Status s = Exec(sql); !s.ok()) return s;
  }
  bool identified = false;
  {
    Statement identity(db_, "SELECT id FROM store_identity LIMIT 1");
    if (!identity.ok()) return Error("read the store's identity");
    if (identity.Step() == SQLITE_ROW) {
      store_id_ = identity.Text(0);
      identified = true;
    }
  }
  if (!identified) {
    store_id_ = NewStoreId();
    Statement insert(db_, "INSERT INTO store_identity (id) VALUES (?)");
    insert.Bind(1, store_id_);
    if (!insert.ok() || insert.Step() != SQLITE_DONE) return Error("write the store's identity");
  }
  if (absl::Status s = Exec(absl::StrCat("PRAGMA application_id = ", kApplicationId,
                                         "; PRAGMA user_version = ", kSchemaVersion)
                                .c_str());
      !s.ok()) {
    return s;
  }
  if (marker_says_jobs && marker_store != store_id_) {
    return FailedStart(path_,
                       absl::StrCat("is store ", store_id_, ", not store ", marker_store,
                                    " that its marker ", MarkerPath(path_),
                                    " says held jobs there (replaced?)"),
                       "restore that store from a backup; to use this one instead, remove "
                       "the marker");
  }
  // Every unfinished job must be readable, or it could never finish.
  std::vector<std::pair<std::int64_t, std::string>> unfinished;
  bool has_jobs = false;
  {
    Statement list(db_, "SELECT seq, name FROM unlink_jobs WHERE done = 0");
    if (!list.ok()) return Error("list unfinished jobs");
    int rc;
    while ((rc = list.Step()) == SQLITE_ROW) unfinished.emplace_back(list.Int(0), list.Text(1));
    if (rc != SQLITE_DONE) return Error("list unfinished jobs");
    Statement count(db_, "SELECT count(*) FROM unlink_jobs");
    has_jobs = count.ok() && count.Step() == SQLITE_ROW && count.Int(0) > 0;
  }
  for (auto const& [seq, name] : unfinished) {
    if (auto job = Load(seq); !job.ok()) {
      return absl::DataLossError(absl::StrCat(
          "the unlink job store ", path_, ": unfinished job ", name, " cannot be read (",
          job.status().message(), "); restore the store from a backup"));
    }
  }
  marker_says_jobs_ = marker_says_jobs;
  if (marker_store != store_id_ || (has_jobs && !marker_says_jobs)) {
    return WriteMarker(has_jobs || (marker_says_jobs && marker_store == store_id_));
  }
  return absl::OkStatus();
}

absl::Status SqliteJobStore::WriteMarker(bool jobs) {
  std::string marker = MarkerPath(path_);
  std::string temporary = marker + ".new";
  std::string text = absl::StrCat(
      "# The unlink job store beside this file, and whether it ever held jobs. While it says\n"
      "# jobs=yes the gateway refuses to start on a missing, empty or other store there.\n",
      "store=", store_id_, "\njobs=", jobs ? "yes" : "no", "\n");
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && ::write(fd, text.data(), text.size()) ==
                                static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(temporary.c_str(), marker.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the unlink job store's marker ", marker, ": ",
                     std::strerror(errno)));
  }
  int dir = ::open(DirectoryOf(marker).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  marker_says_jobs_ = jobs;
  return absl::OkStatus();
}

absl::Status SqliteJobStore::Probe() {
  struct stat now {};
  if (::stat(path_.c_str(), &now) != 0) {
    return absl::DataLossError(
        absl::StrCat("unlink job store ", path_, " is gone: ", std::strerror(errno)));
  }
  if (now.st_dev != device_ || now.st_ino != inode_) {
    return absl::DataLossError(
        absl::StrCat("unlink job store ", path_, " was replaced while the gateway runs"));
  }
  if (now.st_size == 0) {
    return absl::DataLossError(absl::StrCat("unlink job store ", path_, " was emptied"));
  }
  // A connection of its own, read-only: never behind a call in progress.
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> closer(db, &sqlite3_close);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("unlink job store ", path_, ": ",
                                               db != nullptr ? sqlite3_errmsg(db)
                                                             : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, 1000);
  Statement identity(db, "SELECT id FROM store_identity LIMIT 1");
  if (!identity.ok() || identity.Step() != SQLITE_ROW || identity.Text(0) != store_id_) {
    return absl::DataLossError(absl::StrCat("unlink job store ", path_,
                                            " no longer reads as store ", store_id_, ": ",
                                            sqlite3_errmsg(db)));
  }
  absl::MutexLock lock(&probe_mu_);
  if (absl::Now() < next_integrity_check_) return absl::OkStatus();
  next_integrity_check_ = absl::Now() + absl::Minutes(1);
  Statement check(db, "PRAGMA quick_check(1)");
  if (!check.ok() || check.Step() != SQLITE_ROW || check.Text(0) != "ok") {
    next_integrity_check_ = absl::InfinitePast();  // look again next time
    return absl::DataLossError(absl::StrCat("unlink job store ", path_,
                                            " failed its integrity check: ",
                                            check.ok() ? check.Text(0) : sqlite3_errmsg(db)));
  }
  return absl::OkStatus();
}

SqliteJobStore::~SqliteJobStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteJobStore::Exec(char const* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return absl::OkStatus();
  std::string text = message != nullptr ? message : "unknown error";
  sqlite3_free(message);
  return absl::UnavailableError(absl::StrCat("unlink job store ", path_, ": ", text));
}

absl::Status SqliteJobStore::Error(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("unlink job store ", path_, ": ", what, ": ", sqlite3_errmsg(db_)));
}

absl::StatusOr<std::optional<std::int64_t>> SqliteJobStore::SeqOf(std::string const& name) {
  Statement q(db_, "SELECT seq FROM unlink_jobs WHERE name = ?");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, name);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return Error("read a job");
  return q.Int(0);
}

absl::StatusOr<StoredJob> SqliteJobStore::Load(std::int64_t seq) {
  Statement q(db_,
              "SELECT header, fingerprint, done, cancel_requested, update_us FROM unlink_jobs "
              "WHERE seq = ?");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, seq);
  if (q.Step() != SQLITE_ROW) return Error("read a job");
  StoredJob job;
  if (!job.metadata.ParseFromString(q.Text(0))) {
    return absl::DataLossError(absl::StrCat("unlink job store ", path_, ": a job is unreadable"));
  }
  job.fingerprint = q.Text(1);
  job.done = q.Int(2) != 0;
  job.metadata.set_cancel_requested(q.Int(3) != 0);
  *job.metadata.mutable_update_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(q.Int(4));
  job.metadata.clear_steps();
  Statement steps(db_, "SELECT step FROM unlink_steps WHERE job_seq = ? ORDER BY idx");
  if (!steps.ok()) return Error("prepare");
  steps.Bind(1, seq);
  int rc;
  while ((rc = steps.Step()) == SQLITE_ROW) {
    if (!job.metadata.add_steps()->ParseFromString(steps.Text(0))) {
      return absl::DataLossError(absl::StrCat("unlink job store ", path_, ": a step is unreadable"));
    }
  }
  if (rc != SQLITE_DONE) return Error("read steps");
  return job;
}

absl::StatusOr<JobStore::Created> SqliteJobStore::Create(StoredJob const& job,
                                                         std::string const& owner,
                                                         absl::Time lease_until) {
  absl::MutexLock lock(&mu_);
  // Before the first job is stored: from now on a missing or emptied store
  // is a loss, not a fresh start.
  if (!marker_says_jobs_) {
    if (absl::Status marked = WriteMarker(true); !marked.ok()) return marked;
  }
  auto const& m = job.metadata;
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto rollback = [this](absl::Status s) {
    (void)Exec("ROLLBACK");
    return s;
  };
  if (!m.request_id().empty()) {
    Statement q(db_, "SELECT seq FROM unlink_jobs WHERE caller = ? AND request_id = ?");
    if (!q.ok()) return rollback(Error("prepare"));
    q.Bind(1, m.caller()).Bind(2, m.request_id());
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      auto existing = Load(q.Int(0));
      (void)Exec("ROLLBACK");
      if (!existing.ok()) return existing.status();
      return Created{false, *std::move(existing)};
    }
    if (rc != SQLITE_DONE) return rollback(Error("look up the request_id"));
  }
  v1::UnlinkMetadata header = m;
  header.clear_steps();
  Statement insert(db_,
                   "INSERT INTO unlink_jobs (name, caller, request_id, fingerprint, header, done, "
                   "owner, lease_until_us, update_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return rollback(Error("prepare"));
  insert.Bind(1, m.name())
      .Bind(2, m.caller())
      .Bind(3, m.request_id())
      .Bind(4, job.fingerprint)
      .BindBlob(5, header.SerializeAsString())
      .Bind(6, std::int64_t{job.done ? 1 : 0})
      .Bind(7, owner)
      .Bind(8, Micros(lease_until))
      .Bind(9, google::protobuf::util::TimeUtil::TimestampToMicroseconds(m.update_time()));
  if (insert.Step() != SQLITE_DONE) return rollback(Error("insert a job"));
  std::int64_t seq = sqlite3_last_insert_rowid(db_);
  for (int i = 0; i < m.steps_size(); ++i) {
    Statement step(db_, "INSERT INTO unlink_steps (job_seq, idx, step) VALUES (?, ?, ?)");
    if (!step.ok()) return rollback(Error("prepare"));
    step.Bind(1, seq).Bind(2, std::int64_t{i}).BindBlob(3, m.steps(i).SerializeAsString());
    if (step.Step() != SQLITE_DONE) return rollback(Error("insert a step"));
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) return rollback(s);
  return Created{true, job};
}

absl::Status SqliteJobStore::SaveStep(std::string const& name, std::string const& owner,
                                      int index, v1::UnlinkStep const& step) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto rollback = [this](absl::Status s) {
    (void)Exec("ROLLBACK");
    return s;
  };
  Statement job(db_,
                "UPDATE unlink_jobs SET update_us = ? WHERE name = ? AND owner = ? AND done = 0 "
                "RETURNING seq");
  if (!job.ok()) return rollback(Error("prepare"));
  job.Bind(1, google::protobuf::util::TimeUtil::TimestampToMicroseconds(step.update_time()))
      .Bind(2, name)
      .Bind(3, owner);
  int rc = job.Step();
  if (rc == SQLITE_DONE) {
    return rollback(absl::FailedPreconditionError(
        absl::StrCat("unlink job ", name, " is no longer held by this gateway")));
  }
  if (rc != SQLITE_ROW) return rollback(Error("update a job"));
  std::int64_t seq = job.Int(0);
  if (job.Step() != SQLITE_DONE) return rollback(Error("update a job"));
  Statement update(db_, "UPDATE unlink_steps SET step = ? WHERE job_seq = ? AND idx = ?");
  if (!update.ok()) return rollback(Error("prepare"));
  update.BindBlob(1, step.SerializeAsString()).Bind(2, seq).Bind(3, std::int64_t{index});
  if (update.Step() != SQLITE_DONE || sqlite3_changes(db_) != 1) {
    return rollback(Error("update a step"));
  }
  return Exec("COMMIT");
}

absl::Status SqliteJobStore::MarkCancelRequested(std::string const& name) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, "UPDATE unlink_jobs SET cancel_requested = 1 WHERE name = ?");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, name);
  if (q.Step() != SQLITE_DONE) return Error("mark a job cancelled");
  return absl::OkStatus();
}

absl::Status SqliteJobStore::MarkDone(std::string const& name, std::string const& owner) {
  absl::MutexLock lock(&mu_);
  Statement q(db_,
              "UPDATE unlink_jobs SET done = 1, owner = '', lease_until_us = 0 "
              "WHERE name = ? AND owner = ?");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, name).Bind(2, owner);
  if (q.Step() != SQLITE_DONE) return Error("finish a job");
  if (sqlite3_changes(db_) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("unlink job ", name, " is no longer held by this gateway"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredJob>> SqliteJobStore::Get(std::string const& name) {
  absl::MutexLock lock(&mu_);
  auto seq = SeqOf(name);
  if (!seq.ok()) return seq.status();
  if (!seq->has_value()) return std::nullopt;
  auto job = Load(**seq);
  if (!job.ok()) return job.status();
  return std::optional<StoredJob>(*std::move(job));
}

absl::StatusOr<JobPage> SqliteJobStore::List(JobQuery const& query) {
  absl::MutexLock lock(&mu_);
  std::int64_t before = INT64_MAX;
  if (!query.page_token.empty() && !absl::SimpleAtoi(query.page_token, &before)) {
    return absl::InvalidArgumentError("page_token: not a token this gateway issued");
  }
  Statement q(db_,
              "SELECT seq FROM unlink_jobs WHERE seq < ?1 AND (?2 = 0 OR caller = ?3) "
              "AND (?4 < 0 OR done = ?4) ORDER BY seq DESC LIMIT ?5");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, before)
      .Bind(2, std::int64_t{query.caller.has_value() ? 1 : 0})
      .Bind(3, query.caller.value_or(""))
      .Bind(4, std::int64_t{query.done.has_value() ? (*query.done ? 1 : 0) : -1})
      .Bind(5, std::int64_t{query.page_size} + 1);
  std::vector<std::int64_t> seqs;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) seqs.push_back(q.Int(0));
  if (rc != SQLITE_DONE) return Error("list jobs");
  JobPage page;
  if (static_cast<int>(seqs.size()) > query.page_size) {
    seqs.pop_back();
    page.next_page_token = absl::StrCat(seqs.back());
  }
  for (std::int64_t seq : seqs) {
    auto job = Load(seq);
    if (!job.ok()) return job.status();
    page.jobs.push_back(*std::move(job));
  }
  return page;
}

absl::StatusOr<std::vector<StoredJob>> SqliteJobStore::Claim(std::string const& owner,
                                                             absl::Time now, absl::Time lease_until,
                                                             Held held) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto rollback = [this](absl::Status s) {
    (void)Exec("ROLLBACK");
    return s;
  };
  Statement q(db_,
              "UPDATE unlink_jobs SET owner = ?1, lease_until_us = ?2 "
              "WHERE done = 0 AND (lease_until_us < ?3 OR "
              "(owner = ?1 AND (?4 OR cancel_requested = 1))) RETURNING seq");
  if (!q.ok()) return rollback(Error("prepare"));
  q.Bind(1, owner)
      .Bind(2, Micros(lease_until))
      .Bind(3, Micros(now))
      .Bind(4, std::int64_t{held == Held::kAll ? 1 : 0});
  std::vector<std::int64_t> seqs;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) seqs.push_back(q.Int(0));
  if (rc != SQLITE_DONE) return rollback(Error("claim jobs"));
  std::vector<StoredJob> jobs;
  for (std::int64_t seq : seqs) {
    auto job = Load(seq);
    if (!job.ok()) return rollback(job.status());
    jobs.push_back(*std::move(job));
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) return rollback(s);
  return jobs;
}

absl::Status SqliteJobStore::Renew(std::string const& owner, absl::Time lease_until) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, "UPDATE unlink_jobs SET lease_until_us = ? WHERE owner = ? AND done = 0");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, Micros(lease_until)).Bind(2, owner);
  if (q.Step() != SQLITE_DONE) return Error("renew leases");
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteJobStore::Purge(absl::Time before) {
  absl::MutexLock lock(&mu_);
  Statement q(db_, "DELETE FROM unlink_jobs WHERE done = 1 AND update_us < ?");
  if (!q.ok()) return Error("prepare");
  q.Bind(1, Micros(before));
  if (q.Step() != SQLITE_DONE) return Error("purge jobs");
  return sqlite3_changes(db_);
}

}  // namespace linkgateway::server::unlink
