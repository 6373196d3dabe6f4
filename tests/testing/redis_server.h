// A real redis-server (Debian's) for tests: on a free loopback port, in a
// temporary directory of its own; stopped with the test. By default nothing
// is persisted (a restart comes back empty); `persistent` runs it with an
// append-only file fsynced at every write, as the gateway's records need.
#ifndef LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_
#define LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/testing/child_process.h"

namespace linkgateway::tests::testing {

struct RedisServerOptions {
  std::string password;     // requirepass, when set
  bool persistent = false;  // appendonly yes, appendfsync always
};

class RedisServer {
 public:
  // `password`: requirepass, when set.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(std::string password = "");
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(RedisServerOptions options);
  ~RedisServer();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  pid_t pid() const;            // 0 while stopped

  // Stops it as a crash would (SIGKILL).
  void Stop();
  // Starts it again on the same port: with what it persisted, or empty.
  absl::Status Restart();
  // Starts it again on the same port with its files removed: empty whatever
  // it persisted (a lost disk, a replaced server).
  absl::Status RestartEmpty();
  // Freezes it (SIGSTOP: connections stay open, nothing is answered) and
  // lets it go on (SIGCONT).
  void Pause();
  void Resume();
  // Changes requirepass of the running server (for the next restart too).
  absl::Status SetPassword(std::string const& password);
  // Runs one command with redis-cli (authenticated); its output.
  absl::StatusOr<std::string> Cli(std::vector<std::string> const& command) const;
  // As if it had kept its data for long (the rate limits' epoch marker of
  // the gateway's key prefix far in the past): a missing bucket is full.
  absl::Status AgeTheDataSet(std::string const& key_prefix = "linkgateway:") const;

 private:
  RedisServer(int port, RedisServerOptions options, std::string directory)
      : port_(port), options_(std::move(options)), directory_(std::move(directory)) {}
  absl::Status Launch();

  int const port_;
  RedisServerOptions options_;
  std::string const directory_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_
