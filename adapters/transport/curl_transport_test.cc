// CurlTransport against real HTTPS servers on 127.0.0.1, trusted through a
// test CA made at test time.
#include "adapters/transport/curl_transport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "adapters/async/cancellation.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/https_test_server.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::adapters::transport {
namespace {

// As in the gateway (main.cc): abseil's deadlock detection, on in debug
// builds, keeps one graph of every mutex behind a spin lock ThreadSanitizer
// cannot see in Debian's uninstrumented abseil, so loops creating and taking
// their own mutexes at once showed as a race inside that graph.
[[maybe_unused]] bool const kNoDeadlockGraph = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

using linkgateway::tests::testing::HttpsTestServer;
using linkgateway::tests::testing::MakeTestCertificates;
using linkgateway::tests::testing::TestCertificates;
using ::testing::HasSubstr;

// Waits for one transfer's outcome.
struct Result {
  absl::Notification done;
  absl::StatusOr<HttpResponse> value = absl::UnknownError("not finished");

  Done<HttpResponse> Callback() {
    return [this](absl::StatusOr<HttpResponse> r) {
      value = std::move(r);
      done.Notify();
    };
  }
  absl::StatusOr<HttpResponse> const& Wait() {
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)))
        << "timed out waiting for done";
    return value;
  }
};

std::string ReasonOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return adapters::errors::FindDetail(status, info) ? info.reason() : "";
}

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = tests::testing::MakeTestCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    server_ = std::make_unique<tests::testing::HttpsTestServer>(certs_);
    auto& s = server_->server();
    s.Get("/hello", [](httplib::Request const&, httplib::Response& res) {
      res.set_header("x-amzn-RequestId", "req-1");
      res.set_content("hello", "text/plain");
    });
    s.Get("/unavailable", [](httplib::Request const&, httplib::Response& res) {
      res.status = 503;
      res.set_content(R"({"errors":[{"code":"ServiceUnavailable","message":"later"}]})",
                      "application/json");
    });
    s.Post("/echo", [](httplib::Request const& req, httplib::Response& res) {
      res.set_content(absl::StrCat(req.method, " ", req.get_header_value("x-test"), " ",
                                   req.get_header_value("Content-Type"), " ", req.body),
                      "text/plain");
    });
    s.Delete("/thing", [](httplib::Request const& req, httplib::Response& res) {
      res.set_content(absl::StrCat(req.method, " ", req.body.size()), "text/plain");
    });
    s.Get("/big", [](httplib::Request const&, httplib::Response& res) {
      res.set_content(std::string(4096, 'x'), "text/plain");
    });
    s.Get("/big-chunked", [](httplib::Request const&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        std::string chunk(1024, 'y');
        for (int i = 0; i < 4; ++i) sink.write(chunk.data(), chunk.size());
        sink.done();
        return true;
      });
    });
    // Sends headers and a first chunk, then stalls until released.
    s.Get("/stall", [this](httplib::Request const&, httplib::Response& res) {
      {
        absl::MutexLock lock(&stalls_mu_);
        if (stalls_++ == 0) stalled_.Notify();
      }
      res.set_chunked_content_provider("text/plain", [this](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) {
          sink.write("partial", 7);
          return true;
        }
        release_.WaitForNotificationWithTimeout(absl::Seconds(20));
        sink.done();
        return true;
      });
    });
    server_->Start();
  }

  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    server_.reset();
  }

  std::unique_ptr<CurlTransport> Transport(std::string ca = "") {
    CurlTransportOptions options;
    options.ca_bundle_file = ca.empty() ? certs_.ca_cert : ca;
    options.max_response_bytes = 1024;
    return std::make_unique<CurlTransport>(options);
  }

  HttpRequest Get(std::string const& path, absl::Duration timeout = absl::Seconds(10)) {
    HttpRequest request;
    request.method = "GET";
    request.url = server_->base_url() + path;
    request.deadline = absl::Now() + timeout;
    return request;
  }

  // Waits until `n` requests for /stall are being answered.
  bool StalledAtLeast(int n) {
    absl::MutexLock lock(&stalls_mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stalls_mu_) { return stalls_ >= n; };
    return stalls_mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(30));
  }

  tests::testing::TestCertificates certs_;
  std::unique_ptr<tests::testing::HttpsTestServer> server_;
  absl::Notification stalled_;  // the first /stall
  absl::Notification release_;
  absl::Mutex stalls_mu_;
  int stalls_ ABSL_GUARDED_BY(stalls_mu_) = 0;
};

TEST_F(CurlTransportTest, SequentialCallsReuseOneConnection) {
  auto transport = Transport();
  for (int i = 0; i < 5; ++i) {
    Result result;
    transport->Send(Get(i % 2 ? "/unavailable" : "/hello"), nullptr, result.Callback());
    ASSERT_TRUE(result.Wait().ok()) << result.Wait().status();
  }
  EXPECT_EQ(server_->connections_seen(), 1);
  EXPECT_EQ(transport->connections_opened(), 1);
}

TEST_F(CurlTransportTest, ResponseCarriesStatusHeadersAndBody) {
  auto transport = Transport();
  Result result;
  transport->Send(Get("/hello"), nullptr, result.Callback());
  ASSERT_TRUE(result.Wait().ok());
  EXPECT_EQ(result.value->status, 200);
  EXPECT_EQ(result.value->body, "hello");
  EXPECT_EQ(result.value->Header("X-AMZN-REQUESTID"), "req-1");
}

TEST_F(CurlTransportTest, HttpErrorIsASuccessfulTransportResult) {
  auto transport = Transport();
  Result result;
  transport->Send(Get("/unavailable"), nullptr, result.Callback());
  ASSERT_TRUE(result.Wait().ok());
  EXPECT_EQ(result.value->status, 503);
  EXPECT_THAT(result.value->body, HasSubstr("ServiceUnavailable"));
}

TEST_F(CurlTransportTest, PostSendsBodyAndHeaders) {
  auto transport = Transport();
  HttpRequest request = Get("/echo");
  request.method = "POST";
  request.headers = {{"x-test", "yes"}, {"Content-Type", "application/x-amz-json-1.0"}};
  request.body = R"({"RegistrationId":"r-1"})";
  Result result;
  transport->Send(request, nullptr, result.Callback());
  ASSERT_TRUE(result.Wait().ok());
  EXPECT_EQ(result.value->body, R"(POST yes application/x-amz-json-1.0 {"RegistrationId":"r-1"})");
}

TEST_F(CurlTransportTest, DeleteWithoutBody) {
  auto transport = Transport();
  HttpRequest request = Get("/thing");
  request.method = "DELETE";
  Result result;
  transport->Send(request, nullptr, result.Callback());
  ASSERT_TRUE(result.Wait().ok());
  EXPECT_EQ(result.value->body, "DELETE 0");
}

// Pooled easy handles are not reset between transfers: nothing of one
// request (method, body, headers) may reach the next on the same handle.
TEST_F(CurlTransportTest, PooledHandlesCarryNothingFromTheLastTransfer) {
  auto transport = Transport();
  auto send = [&](HttpRequest const& request) {
    Result result;
    transport->Send(request, nullptr, result.Callback());
    auto const& value = result.Wait();
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? value->body : "";
  };
  HttpRequest post = Get("/echo");
  post.method = "POST";
  post.headers = {{"x-test", "yes"}, {"Content-Type", "text/plain"}};
  post.body = "first";
  EXPECT_EQ(send(post), "POST yes text/plain first");
  HttpRequest del = Get("/thing");
  del.method = "DELETE";
  del.body = "12345";
  EXPECT_EQ(send(del), "DELETE 5");
  del.body.clear();
  EXPECT_EQ(send(del), "DELETE 0");
  post.headers = {{"Content-Type", "text/plain"}};
  post.body.clear();
  EXPECT_EQ(send(post), "POST  text/plain ");
  EXPECT_EQ(send(Get("/hello")), "hello");
  EXPECT_EQ(send(del), "DELETE 0");
  EXPECT_EQ(transport->connections_opened(), 1);
}

TEST_F(CurlTransportTest, DeadlineExpiresMidBody) {
  auto transport = Transport();
  Result result;
  transport->Send(Get("/stall", absl::Milliseconds(500)), nullptr, result.Callback());
  auto const& value = result.Wait();
  EXPECT_TRUE(stalled_.HasBeenNotified());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kDeadlineExceeded) << value.status();
  EXPECT_EQ(ReasonOf(value.status()), "DEADLINE_EXCEEDED");
}

TEST_F(CurlTransportTest, PassedDeadlineNeverCallsUpstream) {
  auto transport = Transport();
  Result result;
  transport->Send(Get("/hello", -absl::Seconds(1)), nullptr, result.Callback());
  EXPECT_EQ(result.Wait().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_->connections_seen(), 0);
}

TEST_F(CurlTransportTest, CancellationAbortsTheTransfer) {
  auto transport = Transport();
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  Result result;
  transport->Send(Get("/stall", absl::Seconds(30)), cancellation, result.Callback());
  EXPECT_TRUE(stalled_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for stalled_";
  cancellation->Cancel();
  EXPECT_EQ(result.Wait().status().code(), absl::StatusCode::kCancelled);
}

TEST_F(CurlTransportTest, AlreadyCancelledCallNeverStarts) {
  auto transport = Transport();
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  cancellation->Cancel();
  Result result;
  transport->Send(Get("/hello"), cancellation, result.Callback());
  EXPECT_EQ(result.Wait().status().code(), absl::StatusCode::kCancelled);
}

TEST_F(CurlTransportTest, OversizeBodyIsCutOff) {
  auto transport = Transport();
  for (std::string path : {"/big", "/big-chunked"}) {
    Result result;
    transport->Send(Get(path), nullptr, result.Callback());
    auto const& value = result.Wait();
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInternal) << path;
    EXPECT_EQ(ReasonOf(value.status()), "UPSTREAM_RESPONSE_TOO_LARGE") << path;
    EXPECT_THAT(value.status().message(), HasSubstr("1024 bytes")) << path;
  }
}

TEST_F(CurlTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  // A port that was free a moment ago and has no listener.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);

  auto transport = Transport();
  HttpRequest request = Get("/hello");
  request.url = absl::StrCat("https://127.0.0.1:", ntohs(address.sin_port), "/hello");
  Result result;
  transport->Send(request, nullptr, result.Callback());
  auto const& value = result.Wait();
  EXPECT_EQ(value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(value.status()), "UPSTREAM_CONNECT_FAILED");
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(value.status()));
  EXPECT_EQ(adapters::errors::RetryClassOf(value.status()),
            adapters::errors::RetryClass::kTransient);
}

TEST_F(CurlTransportTest, UntrustedCertificateFails) {
  auto other = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(other.ok());
  auto transport = Transport(other->ca_cert);
  Result result;
  transport->Send(Get("/hello"), nullptr, result.Callback());
  auto const& value = result.Wait();
  EXPECT_EQ(value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(value.status()), "UPSTREAM_TLS_UNTRUSTED");
  EXPECT_EQ(adapters::errors::RetryClassOf(value.status()), adapters::errors::RetryClass::kNone);
}

TEST_F(CurlTransportTest, PlainHttpIsRefusedUnlessAllowed) {
  auto transport = Transport();
  HttpRequest request = Get("/hello");
  request.url = absl::StrCat("http://127.0.0.1:", server_->port(), "/hello");
  Result result;
  transport->Send(request, nullptr, result.Callback());
  EXPECT_EQ(ReasonOf(result.Wait().status()), "GATEWAY_BAD_UPSTREAM_REQUEST");
}

TEST_F(CurlTransportTest, CredentialEndpointIsPlainHttpWithoutProxy) {
  // Instance metadata and container credentials are plain http on a local
  // address: allowed for those requests only, and never through a proxy
  // (one that is set but does not exist here).
  httplib::Server plain;
  plain.Get("/latest/meta-data/", [](httplib::Request const&, httplib::Response& res) {
    res.set_content("role", "text/plain");
  });
  int port = plain.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { plain.listen_after_bind(); });
  setenv("http_proxy", "http://127.0.0.1:9", 1);
  auto transport = Transport();
  HttpRequest request = Get("/");
  request.url = absl::StrCat("http://127.0.0.1:", port, "/latest/meta-data/");
  request.credential_endpoint = true;
  Result allowed;
  transport->Send(request, nullptr, allowed.Callback());
  ASSERT_TRUE(allowed.Wait().ok()) << allowed.Wait().status();
  EXPECT_EQ(allowed.value->body, "role");
  request.credential_endpoint = false;
  Result refused;
  transport->Send(request, nullptr, refused.Callback());
  EXPECT_EQ(ReasonOf(refused.Wait().status()), "GATEWAY_BAD_UPSTREAM_REQUEST");
  unsetenv("http_proxy");
  plain.stop();
  serving.join();
}

TEST_F(CurlTransportTest, ConcurrentCallsQueueForTheHostConnectionLimit) {
  CurlTransportOptions options;
  options.ca_bundle_file = certs_.ca_cert;
  options.max_connections_per_host = 4;
  options.event_loops = 2;  // the limit is shared out: 2 connections each
  auto transport = std::make_unique<CurlTransport>(options);
  ASSERT_EQ(transport->event_loops(), 2);
  constexpr int kCalls = 200;
  std::vector<Result> results(kCalls);
  for (auto& result : results) transport->Send(Get("/hello"), nullptr, result.Callback());
  int ok = 0;
  for (auto& result : results) ok += result.Wait().ok();
  EXPECT_EQ(ok, kCalls);
  EXPECT_LE(transport->connections_opened(), 4);
  EXPECT_LE(server_->connections_seen(), 4);
  // Later calls reuse the pooled connections.
  auto before = transport->connections_opened();
  for (int i = 0; i < 10; ++i) {
    Result result;
    transport->Send(Get("/hello"), nullptr, result.Callback());
    ASSERT_TRUE(result.Wait().ok());
  }
  EXPECT_EQ(transport->connections_opened(), before);
}

// Calls in flight at once spread over the loop's connection pools, one
// connection each; the next calls reuse those connections, whichever pool
// they land in, instead of opening more.
TEST_F(CurlTransportTest, CallsAtOnceSpreadOverPoolsAndTheirConnectionsAreReused) {
  auto transport = Transport();
  constexpr int kCalls = 20;  // more than one loop's pools; the test server serves 32 at once
  std::vector<Result> stalled(kCalls);
  for (auto& result : stalled) transport->Send(Get("/stall"), nullptr, result.Callback());
  ASSERT_TRUE(StalledAtLeast(kCalls)) << "timed out waiting for the stalled calls";
  release_.Notify();
  for (auto& result : stalled) ASSERT_TRUE(result.Wait().ok()) << result.Wait().status();
  EXPECT_EQ(transport->connections_opened(), kCalls);
  std::vector<Result> again(kCalls);
  for (auto& result : again) transport->Send(Get("/hello"), nullptr, result.Callback());
  for (auto& result : again) ASSERT_TRUE(result.Wait().ok()) << result.Wait().status();
  EXPECT_EQ(transport->connections_opened(), kCalls);
  EXPECT_EQ(server_->connections_seen(), kCalls);
}

// A limit the pools cannot share evenly (20 connections over 16 pools) is
// still reached in full, and never passed: calls beyond it wait.
TEST_F(CurlTransportTest, AHostLimitSharedUnevenlyIsReachedInFull) {
  CurlTransportOptions options;
  options.ca_bundle_file = certs_.ca_cert;
  options.max_connections_per_host = 20;
  auto transport = std::make_unique<CurlTransport>(options);
  constexpr int kCalls = 24;
  std::vector<Result> results(kCalls);
  for (auto& result : results) transport->Send(Get("/stall"), nullptr, result.Callback());
  ASSERT_TRUE(StalledAtLeast(20)) << "timed out waiting for 20 calls at once";
  release_.Notify();
  for (auto& result : results) ASSERT_TRUE(result.Wait().ok()) << result.Wait().status();
  EXPECT_EQ(server_->connections_seen(), 20);
}

TEST_F(CurlTransportTest, NeverMoreLoopsThanTheSmallestConnectionLimit) {
  CurlTransportOptions options;
  options.ca_bundle_file = certs_.ca_cert;
  options.event_loops = 4;
  options.max_connections_per_host = 1;
  auto transport = std::make_unique<CurlTransport>(options);
  EXPECT_EQ(transport->event_loops(), 1);
  constexpr int kCalls = 20;
  std::vector<Result> results(kCalls);
  for (auto& result : results) transport->Send(Get("/hello"), nullptr, result.Callback());
  for (auto& result : results) EXPECT_TRUE(result.Wait().ok());
  EXPECT_EQ(server_->connections_seen(), 1);
}

// Calls from many threads at once spread over the loops; every one is
// answered, and a loop's own callbacks (a retry) stay on it.
TEST_F(CurlTransportTest, ManyThreadsManyLoops) {
  CurlTransportOptions options;
  options.ca_bundle_file = certs_.ca_cert;
  options.event_loops = 3;
  auto transport = std::make_unique<CurlTransport>(options);
  ASSERT_EQ(transport->event_loops(), 3);
  // At most 20 connections: the test server has a thread for each of 32.
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 5;
  std::vector<Result> results(kThreads * kCallsEach);
  std::vector<Result> again(results.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        std::size_t n = static_cast<std::size_t>(t * kCallsEach + i);
        // The first answer sends the second call from the loop's thread.
        transport->Send(Get("/hello"), nullptr, [&, n](absl::StatusOr<HttpResponse> r) {
          results[n].value = std::move(r);
          transport->Send(Get("/hello"), nullptr, again[n].Callback());
          results[n].done.Notify();
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& result : results) EXPECT_TRUE(result.Wait().ok()) << result.Wait().status();
  for (auto& result : again) EXPECT_TRUE(result.Wait().ok()) << result.Wait().status();
  EXPECT_LE(server_->connections_seen(), static_cast<int>(results.size()));
}

TEST_F(CurlTransportTest, TimersRunInOrderOnTheLoop) {
  auto transport = Transport();
  std::vector<int> order;
  absl::Notification done;
  absl::Time now = transport->Now();
  transport->RunAt(now + absl::Milliseconds(30), [&] {
    order.push_back(2);
    done.Notify();
  });
  transport->RunAt(now + absl::Milliseconds(10), [&] { order.push_back(1); });
  transport->RunAt(now - absl::Seconds(1), [&] { order.push_back(0); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for done";
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_GE(transport->Now(), now + absl::Milliseconds(30));
}

TEST_F(CurlTransportTest, DestructionAnswersEverythingInFlight) {
  Result result;
  {
    auto transport = Transport();
    transport->Send(Get("/stall", absl::Seconds(30)), nullptr, result.Callback());
    EXPECT_TRUE(stalled_.WaitForNotificationWithTimeout(absl::Seconds(30)))
        << "timed out waiting for stalled_";
  }
  EXPECT_EQ(result.Wait().status().code(), absl::StatusCode::kCancelled);
}

// Stopping with calls on several loops: each is answered, and what an answer
// starts (a retry's timer on another loop, a new call) is answered too.
TEST_F(CurlTransportTest, DestructionAnswersEveryLoop) {
  constexpr int kCalls = 4;
  std::vector<Result> stalled(kCalls);
  std::vector<Result> retried(kCalls);
  std::vector<absl::Notification> timers(kCalls);
  {
    CurlTransportOptions options;
    options.ca_bundle_file = certs_.ca_cert;
    options.event_loops = 3;
    auto transport = std::make_unique<CurlTransport>(options);
    for (int i = 0; i < kCalls; ++i) {
      transport->Send(Get("/stall", absl::Seconds(30)), nullptr,
                      [&, i, t = transport.get()](absl::StatusOr<HttpResponse> r) {
                        stalled[i].value = std::move(r);
                        t->RunAt(t->Now() + absl::Hours(1), [&, i] { timers[i].Notify(); });
                        t->Send(Get("/hello"), nullptr, retried[i].Callback());
                        stalled[i].done.Notify();
                      });
    }
    EXPECT_TRUE(StalledAtLeast(kCalls)) << "timed out waiting for the stalled calls";
  }
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(stalled[i].Wait().status().code(), absl::StatusCode::kCancelled);
    EXPECT_EQ(retried[i].Wait().status().code(), absl::StatusCode::kCancelled);
    EXPECT_TRUE(timers[i].HasBeenNotified());
  }
}

}  // namespace
}  // namespace linkgateway::adapters::transport
