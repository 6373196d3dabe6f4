// A real PostgreSQL server (Debian's postgresql-15) for tests: a fresh
// cluster in a temporary directory, on a free loopback port, trusting
// loopback connections; removed with the test. Run as root (CI), the
// cluster belongs to the `postgres` user, since PostgreSQL refuses root.
#ifndef LINKGATEWAY_TESTS_TESTING_POSTGRES_SERVER_H_
#define LINKGATEWAY_TESTS_TESTING_POSTGRES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/testing/child_process.h"

namespace linkgateway::tests::testing {

class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();

  int port() const { return port_; }
  // A libpq connection string for the cluster's `postgres` database.
  std::string conninfo() const;

  // Kills the server and its backends as a crash would (SIGKILL).
  void Kill();
  // Starts it again on the same port with the same data (after Kill).
  absl::Status Restart();
  // Freezes the server and every backend (SIGSTOP: connections stay open,
  // nothing is answered), and lets them go on (SIGCONT).
  void Pause();
  void Resume();

 private:
  PostgresServer(std::string directory, int port)
      : directory_(std::move(directory)), port_(port) {}
  absl::Status Launch();
  // The server's process and its children (the backends).
  void SignalAll(int signal);

  std::string const directory_;
  int const port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_POSTGRES_SERVER_H_
