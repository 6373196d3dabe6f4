#include "tests/testing/redis_server.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::tests::testing {

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(std::string password) {
  RedisServerOptions options;
  options.password = std::move(password);
  return Start(std::move(options));
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(RedisServerOptions options) {
  char const* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/redis-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError("cannot create a directory for redis-server");
  }
  std::unique_ptr<RedisServer> server(
      new RedisServer(FreeLoopbackPort(), std::move(options), pattern));
  if (absl::Status launched = server->Launch(); !launched.ok()) return launched;
  return server;
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

pid_t RedisServer::pid() const { return process_ != nullptr ? process_->pid() : 0; }

absl::Status RedisServer::Launch() {
  std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", absl::StrCat(port_),
                                   "--bind", "127.0.0.1", "--save", "", "--dir", directory_};
  if (options_.persistent) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  if (!options_.password.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(options_.password);
  }
  int port = port_;
  auto process = ChildProcess::StartWhen(
      argv,
      [port](absl::string_view output) -> std::optional<int> {
        if (output.find("Ready to accept connections") == absl::string_view::npos) {
          return std::nullopt;
        }
        return port;
      },
      absl::Seconds(15));
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  return absl::OkStatus();
}

void RedisServer::Stop() {
  if (process_ != nullptr) {
    kill(process_->pid(), SIGCONT);  // a paused server dies too
    process_->Stop(SIGKILL);
  }
  process_.reset();
}

absl::Status RedisServer::Restart() {
  Stop();
  return Launch();
}

absl::Status RedisServer::RestartEmpty() {
  Stop();
  std::error_code error;
  for (auto const& entry : std::filesystem::directory_iterator(directory_, error)) {
    std::filesystem::remove_all(entry.path(), error);
  }
  return Launch();
}

void RedisServer::Pause() {
  if (process_ != nullptr) kill(process_->pid(), SIGSTOP);
}

void RedisServer::Resume() {
  if (process_ != nullptr) kill(process_->pid(), SIGCONT);
}

absl::StatusOr<std::string> RedisServer::Cli(std::vector<std::string> const& command) const {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p",
                                   absl::StrCat(port_), "--no-auth-warning"};
  if (!options_.password.empty()) argv.insert(argv.end(), {"-a", options_.password});
  argv.insert(argv.end(), command.begin(), command.end());
  auto done = RunToCompletion(argv, absl::Seconds(10));
  if (!done.ok()) return done.status();
  if (done->exit_code != 0) {
    return absl::InternalError(absl::StrCat("redis-cli failed: ", done->output));
  }
  return done->output;
}

absl::Status RedisServer::SetPassword(std::string const& password) {
  auto done = Cli({"CONFIG", "SET", "requirepass", password});
  if (!done.ok()) return done.status();
  if (done->find("OK") == std::string::npos) {
    return absl::InternalError(absl::StrCat("CONFIG SET requirepass failed: ", *done));
  }
  options_.password = password;
  return absl::OkStatus();
}

absl::Status RedisServer::AgeTheDataSet(std::string const& key_prefix) const {
  return Cli({"SET", key_prefix + "ratelimit:epoch", "0"}).status();
}

}  // namespace linkgateway::tests::testing
