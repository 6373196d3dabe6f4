#include "tests/testing/redis_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::tests::testing {

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(std::string password) {
  std::unique_ptr<RedisServer> server(new RedisServer(FreeLoopbackPort(), std::move(password)));
  if (absl::Status launched = server->Launch(); !launched.ok()) return launched;
  return server;
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::Launch() {
  char const* tmp = std::getenv("TEST_TMPDIR");
  std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", absl::StrCat(port_),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", tmp != nullptr ? tmp : "/tmp"};
  if (!password_.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(password_);
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
  if (process_ != nullptr) process_->Stop(SIGKILL);
  process_.reset();
}

absl::Status RedisServer::Restart() {
  Stop();
  return Launch();
}

}  // namespace linkgateway::tests::testing
