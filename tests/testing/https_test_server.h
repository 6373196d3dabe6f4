// A real HTTPS server on 127.0.0.1 (cpp-httplib) for tests: a free port picked
// at run time, handlers registered by the test, and a count of the TCP
// connections it accepted.
#ifndef LINKGATEWAY_TESTS_TESTING_HTTPS_TEST_SERVER_H_
#define LINKGATEWAY_TESTS_TESTING_HTTPS_TEST_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "httplib.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::tests::testing {

class HttpsTestServer {
 public:
  // Serves with `certs` (server certificate and key).
  explicit HttpsTestServer(TestCertificates const& certs);
  ~HttpsTestServer();

  // Register handlers before Start().
  httplib::Server& server() { return *server_; }

  // Binds 127.0.0.1 on a free port and serves on a thread.
  void Start();

  // "https://127.0.0.1:<port>".
  std::string base_url() const;
  int port() const { return port_; }

  // Distinct client connections seen (by remote port) across all requests.
  int connections_seen() const;

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<int> remote_ports_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_HTTPS_TEST_SERVER_H_
