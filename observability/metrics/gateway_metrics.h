// Every metric the gateway exports, named in one place (README "Operating").
// Hot paths hold pre-resolved series: an RPC's (method, provider) pair and an
// upstream operation resolve theirs once.
#ifndef LINKGATEWAY_OBSERVABILITY_METRICS_GATEWAY_METRICS_H_
#define LINKGATEWAY_OBSERVABILITY_METRICS_GATEWAY_METRICS_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "observability/metrics/registry.h"

namespace linkgateway::observability::metrics {

// One upstream operation's series ("selling_partner", "DeleteSubscription"),
// for one of the provider's named accounts ("" when it has none).
class UpstreamSeries {
 public:
  // A request that got an HTTP answer, or that failed in the transport
  // (`kind`: "connect_failed", "timeout", ... from a fixed set).
  void Answered(int http_status, absl::Duration latency);
  void Failed(absl::string_view kind, absl::Duration latency);
  void Retried() { retries_->Increment(); }
  void RateLimitWaited(absl::Duration wait);
  void RateLimitRejected() { rate_limit_rejections_->Increment(); }

 private:
  friend class GatewayMetrics;
  std::string provider_, operation_, account_;
  Family<Counter>* requests_ = nullptr;
  Family<Counter>* failures_ = nullptr;
  std::array<std::atomic<Counter*>, 600> by_status_{};  // lazily resolved
  Histogram* duration_ = nullptr;
  Counter* retries_ = nullptr;
  Histogram* rate_limit_wait_ = nullptr;
  Counter* rate_limit_rejections_ = nullptr;
};

// One (gRPC method, provider) pair's series.
class RpcSeries {
 public:
  void Finished(absl::StatusCode code, absl::Duration latency);

 private:
  friend class GatewayMetrics;
  std::array<Counter*, 17> by_code_{};
  Histogram* duration_ = nullptr;
};

class GatewayMetrics {
 public:
  // `build_info`: label → value of linkgateway_build_info (always 1), e.g.
  // {"version", "0.5.0"}, {"grpc_version", "1.51.1"}.
  explicit GatewayMetrics(std::vector<std::pair<std::string, std::string>> build_info = {});

  Registry& registry() { return registry_; }
  Registry const& registry() const { return registry_; }

  // `service` "linkgateway.v1.RegistrationService", `method`
  // "DeleteRegistration", `provider` the request's target ("" = none),
  // `account` a provider account the gateway serves ("" = none: never a name
  // only the caller made up, so callers cannot grow the series).
  RpcSeries& Rpc(absl::string_view service, absl::string_view method, absl::string_view provider,
                 absl::string_view account = "");
  // `account`: a provider's named account from the configuration (never a
  // caller's text, so the series stay bounded); "" when it has none.
  UpstreamSeries& Upstream(absl::string_view provider, absl::string_view operation,
                           absl::string_view account = "") ABSL_LOCKS_EXCLUDED(mu_);

  // A call refused before it started (reason OVERLOADED, TOO_MANY_STREAMS).
  void Rejected(absl::string_view reason);
  // A token fetch from `source` (e.g. "login_with_amazon") and its result.
  void TokenFetched(absl::string_view source, bool ok);
  void AuditWritten(bool ok) { (ok ? audit_records_ : audit_failures_).Increment(); }
  // A refused call's record beyond its peer's budget, not written.
  void AuditRefusalDropped() { audit_refusals_dropped_.Increment(); }
  // Shared state (Redis) was unreachable and `what` ("rate_limit", "token",
  // "idempotency") fell back to this replica's own.
  void SharedStateFallback(absl::string_view what);
  // Whether Redis is connected (and authenticated), read when scraped
  // (unset: the gauge is absent).
  void SetSharedStateReader(std::function<bool()> connected);
  // A delete refused because its request_id could not be checked (reason
  // IDEMPOTENCY_UNAVAILABLE, REQUEST_ID_UNVERIFIABLE).
  void IdempotencyRefused(absl::string_view reason);
  // Whether a dependency ("shared_state", "job_store", "audit_trail") is up,
  // as its health check last found it.
  void SetDependencyUp(absl::string_view dependency, bool up);
  Counter& access_log_dropped() { return access_log_dropped_; }
  // Unlink jobs: a step's final state, a durable store write, steps in flight.
  void UnlinkStepFinished(absl::string_view provider, absl::string_view state);
  void UnlinkStoreWrite(absl::Duration took) { unlink_store_writes_.Observe(took); }
  Gauge& unlink_steps_in_flight() { return unlink_in_flight_; }
  // A provider account's unlink queue ("" account: a provider without
  // accounts): steps waiting, and how long the oldest has.
  void UnlinkQueue(absl::string_view provider, absl::string_view account, std::int64_t depth,
                   absl::Duration oldest_wait);

  // Calls in flight, read when scraped (replaces the previous reader; an
  // empty one reads 0).
  void SetInFlightReader(std::function<double()> read) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Registry registry_;
  Family<Counter>& rpcs_;
  Family<Histogram>& rpc_duration_;
  Family<Counter>& rejected_;
  Family<Counter>& upstream_requests_;
  Family<Counter>& upstream_failures_;
  Family<Histogram>& upstream_duration_;
  Family<Counter>& retries_;
  Family<Histogram>& rate_limit_wait_;
  Family<Counter>& rate_limit_rejections_;
  Family<Counter>& token_fetches_;
  Family<Counter>& shared_state_fallbacks_;
  Family<Counter>& idempotency_refusals_;
  Family<Gauge>& dependency_up_;
  Counter& audit_records_;
  Counter& audit_failures_;
  Counter& audit_refusals_dropped_;
  Counter& access_log_dropped_;
  Family<Counter>& unlink_steps_;
  Histogram& unlink_store_writes_;
  Gauge& unlink_in_flight_;
  Family<Gauge>& unlink_queue_depth_;
  Family<Gauge>& unlink_oldest_waiting_;

  absl::Mutex mu_;
  std::function<double()> in_flight_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<RpcSeries>, std::less<>> rpc_series_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<UpstreamSeries>, std::less<>> upstream_series_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::observability::metrics

#endif  // LINKGATEWAY_OBSERVABILITY_METRICS_GATEWAY_METRICS_H_
