// Runs a server binary (the gateway, an emulator) as a child process on a free
// loopback port, for integration tests. The child must print a line
// "listening on 127.0.0.1:<port>" once it serves.
#ifndef LINKGATEWAY_TESTS_TESTING_CHILD_PROCESS_H_
#define LINKGATEWAY_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::tests::testing {

class ChildProcess {
 public:
  // Runs argv (argv[0] is the program's path) and waits (up to `timeout`)
  // until it prints its port. If it exits first, the error carries its exit
  // code and output.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::vector<std::string> argv, absl::Duration timeout = absl::Seconds(30));

  // The same for a program that says it serves otherwise: `port_of` reads
  // the output so far and returns the port once the program is ready.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> StartWhen(
      std::vector<std::string> argv, std::function<std::optional<int>(absl::string_view)> port_of,
      absl::Duration timeout = absl::Seconds(30));

  ~ChildProcess();

  // "127.0.0.1:<port>".
  std::string address() const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits (up to `timeout`, then SIGKILL) for the exit;
  // returns the exit code (128 + signal number when a signal killed it).
  int Stop(int signal, absl::Duration timeout = absl::Seconds(20));

  // Everything the child printed so far (stdout and stderr).
  std::string Output() const;

 private:
  ChildProcess(pid_t pid, int output_fd);
  void ReadOutput(int fd);
  int Wait(absl::Duration timeout);

  pid_t pid_;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = 0;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool output_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

// The outcome of a program run to its end.
struct Completed {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv to completion (killed after `timeout`).
absl::StatusOr<Completed> RunToCompletion(std::vector<std::string> argv,
                                          absl::Duration timeout = absl::Seconds(60));

// A loopback port nothing listens on now (the kernel's choice for a bound
// socket), for servers that must be told their port.
int FreeLoopbackPort();

// Path of a file in this test's runfiles, e.g. "server/gateway".
std::string RunfilePath(std::string const& workspace_relative);

// For tools run with `bazel run` (benchmarks, the soak) rather than as tests:
// finds the runfiles beside `argv0` and makes a temporary directory
// /tmp/<name>-XXXXXX, unless a test's environment already says where.
void UseRunfilesOf(char const* argv0, std::string const& name);

// The gateway binary (//server:gateway) with `args` plus --listen=127.0.0.1:0
// (and --plaintext when `args` name no --config).
absl::StatusOr<std::unique_ptr<ChildProcess>> StartGateway(std::vector<std::string> args);

// A Python emulator script (tests/emulators/<script>) run by Debian's python3.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartEmulator(std::string const& script,
                                                             std::vector<std::string> args);

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_CHILD_PROCESS_H_
