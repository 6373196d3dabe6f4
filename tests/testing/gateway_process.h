// Runs the real gateway binary (//server:gateway) as a child process on a free
// loopback port, for integration tests.
#ifndef LINKGATEWAY_TESTS_TESTING_GATEWAY_PROCESS_H_
#define LINKGATEWAY_TESTS_TESTING_GATEWAY_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::testing {

class GatewayProcess {
 public:
  // Starts the gateway with `args` plus --listen=127.0.0.1:0 and waits (up to
  // `timeout`) until it logs the port it listens on. If it exits first, the
  // error carries its exit code and output.
  static absl::StatusOr<std::unique_ptr<GatewayProcess>> Start(
      std::vector<std::string> args, absl::Duration timeout = absl::Seconds(30));

  ~GatewayProcess();

  // "127.0.0.1:<port>".
  std::string address() const;

  // Sends `signal` and waits for the exit; returns the exit code (128 + signal
  // number when the signal killed it).
  int Stop(int signal);

  // Everything the gateway printed so far.
  std::string Output() const;

 private:
  GatewayProcess(pid_t pid, int output_fd);
  void ReadOutput(int fd);
  int Wait();

  pid_t pid_;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = 0;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool output_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

// Path of a binary in this test's runfiles, e.g. "server/gateway".
std::string RunfilePath(std::string const& workspace_relative);

}  // namespace linkgateway::testing

#endif  // LINKGATEWAY_TESTS_TESTING_GATEWAY_PROCESS_H_
