#include "server/composition_root/provider_metrics.h"

#include <utility>

namespace linkgateway::server::composition_root {
namespace {

class SeriesObserver final : public adapters::provider::OperationObserver {
 public:
  explicit SeriesObserver(observability::metrics::UpstreamSeries& series) : series_(series) {}
  void Answered(int http_status, absl::Duration latency) override {
    series_.Answered(http_status, latency);
  }
  void Failed(absl::string_view kind, absl::Duration latency) override {
    series_.Failed(kind, latency);
  }
  void Retried() override { series_.Retried(); }
  void RateLimitWaited(absl::Duration wait) override { series_.RateLimitWaited(wait); }
  void RateLimitRejected() override { series_.RateLimitRejected(); }

 private:
  observability::metrics::UpstreamSeries& series_;
};

}  // namespace

adapters::provider::OperationObserver& ProviderMetrics::For(
    adapters::operation::OperationId operation) {
  absl::MutexLock lock(&mu_);
  auto& observer = operations_[operation.key()];
  if (observer == nullptr) {
    observer =
        std::make_unique<SeriesObserver>(metrics_.Upstream(operation.provider(), operation.rpc()));
  }
  return *observer;
}

}  // namespace linkgateway::server::composition_root
