// HttpTransport on libcurl's multi interface: one event-loop thread (or a
// few, upstream.event_loops) drives every transfer, so thousands can be in flight
// without a thread each. Each loop waits in epoll for the sockets libcurl
// names (curl_multi_socket_action), so a wake-up costs what is ready, not
// what is in flight. The loops also run timers (the transport is the
// Scheduler of the upstream core).
//
// Each loop has its own connections, in up to 16 pools (multi handles,
// each with its share of the connection limits: libcurl walks a pool's
// connections at every transfer, so small pools keep that cheap with
// thousands in flight; a pool takes 16 transfers before the next is used),
// and pooled easy handles. DNS answers and TLS sessions are shared by a
// loop's pools, never between loops (OpenSSL's session objects are not safe
// to share between threads). A loop's own thread (a retry, a callback) keeps
// its calls and timers on it; other threads' calls go to the loop with the
// fewest, and their timers to the first loop (so timers set one after
// another run in order). TLS verification is always on.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "adapters/async/scheduler.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::transport {

struct CurlTransportOptions {
  // PEM CA bundle to trust instead of the system's.
  std::string ca_bundle_file;
  // Allow http:// URLs (local emulators only).
  bool allow_plain_http = false;
  // Bodies larger than this end the transfer with RESPONSE_TOO_LARGE.
  std::int64_t max_response_bytes = 1 << 20;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Idle connections kept for reuse, across all hosts. 0 = up to
  // max_total_connections.
  long max_idle_connections = 0;
  // Connections to one host at once; further calls queue inside libcurl until
  // one is free. 0 = no limit (one connection per concurrent HTTP/1.1 call).
  long max_connections_per_host = 0;
  // Connections at once, all hosts together (each holds a descriptor);
  // further calls queue inside libcurl. Idle ones kept for reuse count too.
  long max_total_connections = 1024;
  // Event-loop threads; 0 = one. The connection limits above are
  // shared out between them and their pools (so there are never more loops,
  // or pools, than the smallest limit allows).
  int event_loops = 0;
  std::string user_agent = "linkgateway/1.0 (Language=C++; Platform=Linux)";
};

class CurlTransport final : public HttpTransport, public adapters::async::Scheduler {
 public:
  explicit CurlTransport(CurlTransportOptions options);
  // Stops the loop; transfers still running end with CANCELLED and pending
  // timers run at once.
  ~CurlTransport() override;

  CurlTransport(CurlTransport const&) = delete;
  CurlTransport& operator=(CurlTransport const&) = delete;

  void Send(HttpRequest request, std::shared_ptr<adapters::async::Cancellation> cancellation,
            Done<HttpResponse> done) override;

  absl::Time Now() override;
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) override;

  // TCP connections opened so far (for tests and the benchmark).
  std::int64_t connections_opened() const;

  // The event-loop threads (for tests).
  int event_loops() const { return static_cast<int>(loops_.size()); }

 private:
  class Loop;
  class Share;

  // The loop whose thread is calling, or null.
  Loop* OwnLoop() const;

  CurlTransportOptions const options_;
  std::atomic<std::int64_t> connections_opened_{0};
  std::vector<std::unique_ptr<Share>> shares_;  // one for each loop
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_
