#include "tests/testing/child_process.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace linkgateway::tests::testing {
namespace {

struct Spawned {
  pid_t pid;
  int output_fd;  // the child's stdout and stderr
};

// Starts argv (argv[0] is the program's path) with its output on a pipe.
absl::StatusOr<Spawned> Spawn(std::vector<std::string> argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // A child never outlives the test that started it, even if the test
    // crashes or Bazel kills it at its timeout.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  return Spawned{pid, pipe_fds[0]};
}

// The port from the gateway's "listening on 127.0.0.1:<port>" line, once the
// whole line has arrived.
std::optional<int> ListeningPort(absl::string_view output) {
  constexpr absl::string_view kMarker = "listening on 127.0.0.1:";
  auto at = output.find(kMarker);
  if (at == absl::string_view::npos) return std::nullopt;
  auto start = at + kMarker.size();
  auto end = output.find('\n', start);
  int port = 0;
  if (end == absl::string_view::npos ||
      !absl::SimpleAtoi(output.substr(start, end - start), &port)) {
    return std::nullopt;
  }
  return port;
}

}  // namespace

std::string RunfilePath(std::string const& workspace_relative) {
  char const* root = std::getenv("TEST_SRCDIR");
  char const* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(root ? root : ".", "/", workspace ? workspace : "linkgateway", "/",
                      workspace_relative);
}

void UseRunfilesOf(char const* argv0, std::string const& name) {
  if (std::getenv("TEST_SRCDIR") == nullptr) {
    setenv("TEST_SRCDIR", absl::StrCat(argv0, ".runfiles").c_str(), 1);
    setenv("TEST_WORKSPACE", "linkgateway", 1);
  }
  std::string pattern = absl::StrCat("/tmp/", name, "-XXXXXX");
  if (std::getenv("TEST_TMPDIR") == nullptr && mkdtemp(pattern.data()) != nullptr) {
    setenv("TEST_TMPDIR", pattern.c_str(), 1);
  }
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::vector<std::string> args, absl::Duration timeout) {
  return StartWhen(std::move(args), &ListeningPort, timeout);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::StartWhen(
    std::vector<std::string> args, std::function<std::optional<int>(absl::string_view)> port_of,
    absl::Duration timeout) {
  auto spawned = Spawn(args);
  if (!spawned.ok()) return spawned.status();
  std::unique_ptr<ChildProcess> process(new ChildProcess(spawned->pid, spawned->output_fd));

  std::string output;
  {
    absl::MutexLock lock(&process->mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(process->mu_) {
      return process->output_closed_ || port_of(process->output_).has_value();
    };
    process->mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    output = process->output_;
  }
  if (auto port = port_of(output)) {
    process->port_ = *port;
    return process;
  }
  int code = process->Stop(SIGKILL);
  return absl::UnavailableError(
      absl::StrCat(args.front(), " did not start (exit code ", code, "); output:\n", output));
}

ChildProcess::ChildProcess(pid_t pid, int output_fd)
    : pid_(pid), reader_([this, output_fd] { ReadOutput(output_fd); }) {}

ChildProcess::~ChildProcess() {
  Stop(SIGKILL);
  reader_.join();
}

void ChildProcess::ReadOutput(int fd) {
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    absl::MutexLock lock(&mu_);
    output_.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  output_closed_ = true;
}

std::string ChildProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

int ChildProcess::Stop(int signal, absl::Duration timeout) {
  if (!exited_) kill(pid_, signal);
  return Wait(timeout);
}

int ChildProcess::Wait(absl::Duration timeout) {
  if (exited_) return exit_code_;
  int status = 0;
  // Bounded: a child that ignores the signal is killed at the timeout.
  absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (absl::Now() >= give_up) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  exited_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

std::string ChildProcess::Output() const {
  absl::MutexLock lock(&mu_);
  return output_;
}

absl::StatusOr<Completed> RunToCompletion(std::vector<std::string> argv, absl::Duration timeout) {
  auto spawned = Spawn(argv);
  if (!spawned.ok()) return spawned.status();
  pid_t pid = spawned->pid;
  int output_fd = spawned->output_fd;
  Completed result;
  absl::Time give_up = absl::Now() + timeout;
  char buffer[4096];
  for (;;) {
    pollfd fd{output_fd, POLLIN, 0};
    int ready = poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(give_up - absl::Now())));
    if (ready <= 0) {  // timed out
      kill(pid, SIGKILL);
      break;
    }
    ssize_t n = read(output_fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(output_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartGateway(std::vector<std::string> args) {
  bool configured = false;
  for (auto const& arg : args) configured = configured || absl::StartsWith(arg, "--config=");
  args.insert(args.begin(), RunfilePath("server/gateway"));
  args.push_back("--listen=127.0.0.1:0");
  // Without a configuration file, the defaults on loopback, without TLS.
  if (!configured) args.push_back("--plaintext");
  return ChildProcess::Start(std::move(args));
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartEmulator(std::string const& script,
                                                             std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", "-u",
                             RunfilePath("tests/emulators/" + script)});
  return ChildProcess::Start(std::move(args));
}

}  // namespace linkgateway::tests::testing
