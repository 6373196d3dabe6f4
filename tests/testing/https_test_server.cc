#include "tests/testing/https_test_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace linkgateway::tests::testing {

HttpsTestServer::HttpsTestServer(TestCertificates const& certs)
    : server_(std::make_unique<httplib::SSLServer>(certs.server_cert.c_str(),
                                                   certs.server_key.c_str())) {
  // cpp-httplib closes a keep-alive connection after 5 requests by default;
  // real upstreams keep it far longer.
  server_->set_keep_alive_max_count(100000);
  server_->set_tcp_nodelay(true);
  // One thread per open connection: tests hold up to this many at once.
  server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  server_->set_pre_routing_handler([this](httplib::Request const& request, httplib::Response&) {
    absl::MutexLock lock(&mu_);
    remote_ports_.insert(request.remote_port);
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

HttpsTestServer::~HttpsTestServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpsTestServer::Start() {
  port_ = server_->bind_to_any_port("127.0.0.1");
  // The socket already listens: connections queue until the thread accepts.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until the thread has begun listening:
  // a test that ends at once would then wait forever for the accept loop.
  for (absl::Time give_up = absl::Now() + absl::Seconds(10);
       !server_->is_running() && absl::Now() < give_up;) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

std::string HttpsTestServer::base_url() const { return absl::StrCat("https://127.0.0.1:", port_); }

int HttpsTestServer::connections_seen() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(remote_ports_.size());
}

}  // namespace linkgateway::tests::testing
