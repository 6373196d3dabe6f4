#include "tests/testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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
  if (absl::Status launched = server->Launch(); !launched.ok()) return launched;
  return server;
}

absl::Status PostgresServer::Launch() {
  int port = port_;
  auto process = ChildProcess::StartWhen(
      AsServerUser({absl::StrCat(kBin, "postgres"), "-D", directory_ + "/data", "-h",
                    "127.0.0.1", "-p", absl::StrCat(port), "-k", directory_, "-c", "fsync=on",
                    "-c", "max_connections=50"}),
      [port](absl::string_view output) -> std::optional<int> {
        if (output.find("ready to accept connections") == absl::string_view::npos) {
          return std::nullopt;
        }
        return port;
      },
      absl::Seconds(60));
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  return absl::OkStatus();
}

void PostgresServer::SignalAll(int signal) {
  if (process_ == nullptr) return;
  pid_t server = process_->pid();
  std::error_code error;
  for (auto const& entry : std::filesystem::directory_iterator("/proc", error)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) state ppid ...": the command may hold spaces, not ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
    int parent = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &parent) && parent == server) {
      kill(pid, signal);
    }
  }
  kill(server, signal);
}

void PostgresServer::Kill() {
  if (process_ == nullptr) return;
  SignalAll(SIGCONT);
  SignalAll(SIGKILL);
  process_->Stop(SIGKILL);
  process_.reset();
}

absl::Status PostgresServer::Restart() {
  Kill();
  // A killed postmaster leaves its pid file; PostgreSQL checks it is stale.
  return Launch();
}

void PostgresServer::Pause() { SignalAll(SIGSTOP); }

void PostgresServer::Resume() { SignalAll(SIGCONT); }

PostgresServer::~PostgresServer() {
  // A fast shutdown: connections are closed, nothing more is written.
  if (process_ != nullptr) {
    SignalAll(SIGCONT);  // a paused server stops too
    process_->Stop(SIGINT, absl::Seconds(20));
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string PostgresServer::conninfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_,
                      " user=postgres dbname=postgres connect_timeout=5");
}

}  // namespace linkgateway::tests::testing
