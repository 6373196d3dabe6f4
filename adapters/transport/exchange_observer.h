// What the transport reports of each upstream exchange, to whoever counts
// them (the composition root connects it to the gateway's metrics).
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_EXCHANGE_OBSERVER_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_EXCHANGE_OBSERVER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace linkgateway::adapters::transport {

class ExchangeObserver {
 public:
  virtual ~ExchangeObserver() = default;
  // A request that got an HTTP answer.
  virtual void Answered(int http_status, absl::Duration latency) = 0;
  // A request that failed in the transport; `kind` from a fixed set
  // ("connect_failed", "timeout", ...: FailureKind).
  virtual void Failed(absl::string_view kind, absl::Duration latency) = 0;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_EXCHANGE_OBSERVER_H_
