// A transport decorator that counts one upstream operation's requests (by
// HTTP status, or by kind of transport failure) and times them, for the
// metrics endpoint. Each operation's factory wraps the shared transport in
// one, so the series carry the provider and operation.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "adapters/transport/http.h"
#include "observability/metrics/gateway_metrics.h"

namespace linkgateway::adapters::transport {

// "UPSTREAM_CONNECT_FAILED" → "connect_failed": the kind label of a transport
// failure, from its ErrorInfo reason ("other" without one).
std::string FailureKind(absl::Status const& failure);

class MeteredTransport final : public HttpTransport {
 public:
  // Both must outlive the decorator.
  MeteredTransport(HttpTransport& inner, observability::metrics::UpstreamSeries& series)
      : inner_(inner), series_(series) {}

  void Send(HttpRequest request, std::shared_ptr<adapters::async::Cancellation> cancellation,
            Done<HttpResponse> done) override;

 private:
  HttpTransport& inner_;
  observability::metrics::UpstreamSeries& series_;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_
