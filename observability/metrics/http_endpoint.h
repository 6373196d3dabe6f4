// Serves a Registry at GET /metrics over HTTP/1.1 (libevent's evhttp, one
// thread of its own), on an address separate from the gRPC listener:
// plain HTTP, or HTTPS (libevent's OpenSSL bufferevents) that may require a
// client certificate from a given CA, and optionally an Authorization header
// a check accepts (e.g. a bearer token) on every request.
#ifndef LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_
#define LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "observability/metrics/registry.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct ssl_ctx_st;

namespace linkgateway::observability::metrics {

class HttpEndpoint {
 public:
  struct Options {
    // "host:port"; port 0 picks a free one.
    std::string address;
    // HTTPS with this PEM certificate chain and key when set.
    std::string cert_file;
    std::string key_file;
    // Ask scrapers for a certificate and verify it against this PEM CA
    // bundle; without one the handshake fails when
    // require_client_certificate is set.
    std::string client_ca_file;
    bool require_client_certificate = false;
    // When set, a request whose Authorization header ("" when absent) it
    // refuses is answered 401 without the metrics.
    std::function<bool(absl::string_view authorization)> authorize;
  };

  // The registry must outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(Options options,
                                                             Registry const& registry);
  // Plain HTTP on `address`.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(std::string const& address,
                                                             Registry const& registry);
  ~HttpEndpoint();

  int port() const { return port_; }
  // "https" with TLS, else "http".
  char const* scheme() const { return tls_ != nullptr ? "https" : "http"; }

 private:
  HttpEndpoint(Registry const& registry, Options options)
      : registry_(registry), options_(std::move(options)) {}

  static void Serve(evhttp_request* request, void* arg);

  Registry const& registry_;
  Options const options_;
  ssl_ctx_st* tls_ = nullptr;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace linkgateway::observability::metrics

#endif  // LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_
