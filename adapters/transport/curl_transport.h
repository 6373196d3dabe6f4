// HttpTransport on libcurl's multi interface: one event-loop thread drives
// every transfer, so thousands can be in flight without a thread each. The
// same loop runs timers (it is also the Scheduler of the upstream core).
//
// Connections, DNS answers and TLS sessions are reused across calls (one
// multi handle, one share handle, pooled easy handles). TLS verification is
// always on.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/transport/http.h"
#include "adapters/async/scheduler.h"

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

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_CURL_TRANSPORT_H_
