// A real redis-server (Debian's) for tests: on a free loopback port, with a
// temporary directory, nothing persisted; stopped with the test.
#ifndef LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_
#define LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/testing/child_process.h"

namespace linkgateway::tests::testing {

class RedisServer {
 public:
  // `password`: requirepass, when set.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(std::string password = "");

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"

  // Stops it (as a crash would: SIGKILL), and starts it again on the same
  // port, empty.
  void Stop();
  absl::Status Restart();

 private:
  RedisServer(int port, std::string password) : port_(port), password_(std::move(password)) {}
  absl::Status Launch();

  int const port_;
  std::string const password_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_REDIS_SERVER_H_
