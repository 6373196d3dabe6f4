// The providers' observer (adapters/provider/provider_context.h) backed by
// the gateway's metrics: each upstream operation reports to its own series.
#ifndef LINKGATEWAY_SERVER_COMPOSITION_ROOT_PROVIDER_METRICS_H_
#define LINKGATEWAY_SERVER_COMPOSITION_ROOT_PROVIDER_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/provider/provider_context.h"
#include "observability/metrics/gateway_metrics.h"

namespace linkgateway::server::composition_root {

class ProviderMetrics final : public adapters::provider::ProviderObserver {
 public:
  // `metrics` must outlive this.
  explicit ProviderMetrics(observability::metrics::GatewayMetrics& metrics) : metrics_(metrics) {}

  adapters::provider::OperationObserver& For(adapters::operation::OperationId operation,
                                             absl::string_view account) override;
  void TokenFetched(absl::string_view source, bool ok) override {
    metrics_.TokenFetched(source, ok);
  }
  void SharedStateFallback(absl::string_view what) override { metrics_.SharedStateFallback(what); }

 private:
  observability::metrics::GatewayMetrics& metrics_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<adapters::provider::OperationObserver>> operations_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::server::composition_root

#endif  // LINKGATEWAY_SERVER_COMPOSITION_ROOT_PROVIDER_METRICS_H_
