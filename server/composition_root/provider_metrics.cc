#include "server/composition_root/provider_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"

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
    adapters::operation::OperationId operation, absl::string_view account) {
  absl::MutexLock lock(&mu_);
  auto& observer = operations_[absl::StrCat(operation.key(), "/", account)];
  if (observer == nullptr) {
    observer = std::make_unique<SeriesObserver>(
        metrics_.Upstream(operation.provider(), operation.rpc(), account));
  }
  return *observer;
}

}  // namespace linkgateway::server::composition_root
