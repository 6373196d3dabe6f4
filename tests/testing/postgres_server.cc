#include "tests/testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::tests::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";

// argv run as the `postgres` user when this process is root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--clear-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  if (!std::filesystem::exists(absl::StrCat(kBin, "postgres"))) {
    return absl::FailedPreconditionError(
        "PostgreSQL 15 is missing: run bash bazel/install-deps.sh (Debian's postgresql)");
  }
  // Below /tmp, not the test's directory: the `postgres` user must reach it.
  std::string pattern = "/tmp/linkgateway-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError("cannot create a temporary directory for PostgreSQL");
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(pattern, FreeLoopbackPort()));
  if (geteuid() == 0) {
    passwd const* user = getpwnam("postgres");
    if (user == nullptr || chown(pattern.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return absl::FailedPreconditionError("cannot hand the cluster to the postgres user");
    }
  }
  std::string data = pattern + "/data";
  auto init = RunToCompletion(AsServerUser({absl::StrCat(kBin, "initdb"), "-D", data, "-U",
                                            "postgres", "--auth=trust", "-E", "UTF8"}));
  if (!init.ok()) return init.status();
  if (init->exit_code != 0) {
    return absl::InternalError(absl::StrCat("initdb failed (", init->exit_code, "): ",
                                            init->output));
  }
  int port = server->port_;
  auto process = ChildProcess::StartWhen(
      AsServerUser({absl::StrCat(kBin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p",
                    absl::StrCat(port), "-k", pattern, "-c", "fsync=on", "-c",
                    "max_connections=50"}),
      [port](absl::string_view output) -> std::optional<int> {
        if (output.find("ready to accept connections") == absl::string_view::npos) {
          return std::nullopt;
        }
        return port;
      },
      absl::Seconds(60));
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  return server;
}

PostgresServer::~PostgresServer() {
  // A fast shutdown: connections are closed, nothing more is written.
  if (process_ != nullptr) process_->Stop(SIGINT, absl::Seconds(20));
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string PostgresServer::conninfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_,
                      " user=postgres dbname=postgres connect_timeout=5");
}

}  // namespace linkgateway::tests::testing
