#include "server/unlink/unlink_service.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "config/rotating_secret.h"
#include "observability/log/log.h"
#include "server/unlink/job_methods.h"
#include "server/unlink/postgres_job_store.h"
#include "server/unlink/sqlite_job_store.h"

namespace linkgateway::server::unlink {
namespace {

namespace log = observability::log;

absl::StatusOr<std::filesystem::path> TemporaryDirectory() {
  char const* base = getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                                     "/linkgateway-unlink-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temporary directory for unlink jobs at ", pattern));
  }
  return std::filesystem::path(pattern);
}

std::string DefaultOwner(config::GatewayConfig const& config) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string owner = absl::StrCat(host, "/", config.listen_address());
  // Port 0 names no particular gateway: two on one host must differ.
  if (absl::EndsWith(config.listen_address(), ":0")) absl::StrAppend(&owner, "/", getpid());
  return owner;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnlinkJobs>> UnlinkJobs::Create(
    config::GatewayConfig const& config, call::Pipeline const& pipeline, call::MethodSet& methods,
    adapters::operation::ProviderRegistry const& providers) {
  std::unique_ptr<UnlinkJobs> jobs(new UnlinkJobs());
  auto const& unlink = config.unlink();
  absl::StatusOr<std::unique_ptr<JobStore>> store;
  if (unlink.has_postgres()) {
    auto conninfo = config::RotatingSecret::Load(unlink.postgres(), "unlink.postgres");
    if (!conninfo.ok()) return conninfo.status();
    PostgresOptions postgres;
    postgres.connect_timeout = config::ToDuration(unlink.postgres_connect_timeout());
    postgres.statement_timeout = config::ToDuration(unlink.postgres_statement_timeout());
    store = PostgresJobStore::Open(*std::move(conninfo), postgres);
    if (store.ok()) log::Info("unlink jobs are kept in PostgreSQL (unlink.postgres)");
  } else {
    std::string directory = unlink.state_directory();
    if (directory.empty()) {
      auto made = TemporaryDirectory();
      if (!made.ok()) return made.status();
      jobs->temporary_ = *made;
      directory = jobs->temporary_.string();
      log::Warning("unlink jobs are kept in the temporary directory ", directory,
                   ", removed at exit: they do not survive a restart (set "
                   "unlink.state_directory)");
    }
    store = SqliteJobStore::Open(directory + "/unlink-jobs.sqlite3");
  }
  if (!store.ok()) return store.status();
  jobs->store_ = *std::move(store);
  EngineOptions options;
  options.owner = unlink.replica_id().empty() ? DefaultOwner(config) : unlink.replica_id();
  options.max_steps_in_flight = unlink.max_steps_in_flight();
  options.step_deadline = config::ToDuration(unlink.step_deadline());
  options.follow_for = config::ToDuration(unlink.follow_for());
  options.follow_interval = config::ToDuration(unlink.follow_interval());
  options.lease = config::ToDuration(unlink.lease());
  options.retention = config::ToDuration(unlink.retention());
  options.job_deadline = config::ToDuration(unlink.job_deadline());
  options.max_waiting_steps = unlink.max_waiting_steps();
  options.max_steps_in_flight_per_provider = unlink.max_steps_in_flight_per_provider();
  options.retry_initial_backoff = config::ToDuration(unlink.retry_initial_backoff());
  options.retry_max_backoff = config::ToDuration(unlink.retry_max_backoff());
  options.metrics = &pipeline.serving().metrics;
  jobs->engine_ = std::make_unique<UnlinkEngine>(*jobs->store_, pipeline, methods, providers,
                                                 std::move(options));
  std::vector<std::string> before = methods.ServiceNames();
  AddJobMethods(*jobs->engine_, methods);
  for (auto const& name : methods.ServiceNames()) {
    if (std::find(before.begin(), before.end(), name) == before.end()) {
      jobs->services_.push_back(name);
    }
  }
  jobs->engine_->StartBackgroundWork();
  return jobs;
}

UnlinkJobs::~UnlinkJobs() {
  engine_.reset();
  store_.reset();
  if (!temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temporary_, ignored);
  }
}

}  // namespace linkgateway::server::unlink
