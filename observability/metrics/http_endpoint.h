// Serves a Registry at GET /metrics over HTTP/1.1 (libevent's evhttp, one
// thread of its own), on an address separate from the gRPC listener.
#ifndef LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_
#define LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "observability/metrics/registry.h"

struct event_base;
struct evhttp;

namespace linkgateway::observability::metrics {

class HttpEndpoint {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one). The
  // registry must outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(std::string const& address,
                                                             Registry const& registry);
  ~HttpEndpoint();

  int port() const { return port_; }

 private:
  HttpEndpoint(Registry const& registry) : registry_(registry) {}

  Registry const& registry_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace linkgateway::observability::metrics

#endif  // LINKGATEWAY_OBSERVABILITY_METRICS_HTTP_ENDPOINT_H_
