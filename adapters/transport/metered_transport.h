// A transport decorator that reports one upstream operation's requests (by
// HTTP status, or by kind of transport failure) and their latency to an
// ExchangeObserver. Each operation's factory wraps the shared transport in
// one, so what is counted carries the provider and operation.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "adapters/transport/exchange_observer.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::transport {

// "UPSTREAM_CONNECT_FAILED" → "connect_failed": the kind label of a transport
// failure, from its ErrorInfo reason ("other" without one).
std::string FailureKind(absl::Status const& failure);

class MeteredTransport final : public HttpTransport {
 public:
  // Both must outlive the decorator.
  MeteredTransport(HttpTransport& inner, ExchangeObserver& observer)
      : inner_(inner), observer_(observer) {}

  void Send(HttpRequest request, std::shared_ptr<adapters::async::Cancellation> cancellation,
            Done<HttpResponse> done) override;

 private:
  HttpTransport& inner_;
  ExchangeObserver& observer_;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_METERED_TRANSPORT_H_
