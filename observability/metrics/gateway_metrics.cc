#include "observability/metrics/gateway_metrics.h"

#include "absl/strings/str_cat.h"

namespace linkgateway::observability::metrics {

void UpstreamSeries::Answered(int http_status, absl::Duration latency) {
  duration_->Observe(latency);
  if (http_status < 100 || http_status >= static_cast<int>(by_status_.size())) {
    requests_->With({provider_, operation_, "other", account_}).Increment();
    return;
  }
  Counter* counter = by_status_[http_status].load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &requests_->With({provider_, operation_, absl::StrCat(http_status), account_});
    by_status_[http_status].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void UpstreamSeries::Failed(absl::string_view kind, absl::Duration latency) {
  duration_->Observe(latency);
  failures_->With({provider_, operation_, std::string(kind), account_}).Increment();
}

void UpstreamSeries::RateLimitWaited(absl::Duration wait) { rate_limit_wait_->Observe(wait); }

void RpcSeries::Finished(absl::StatusCode code, absl::Duration latency) {
  auto index = static_cast<std::size_t>(code);
  if (index < by_code_.size()) by_code_[index]->Increment();
  duration_->Observe(latency);
}

GatewayMetrics::GatewayMetrics(std::vector<std::pair<std::string, std::string>> build_info)
    : rpcs_(registry_.AddCounter(
          "linkgateway_rpcs_total",
          "API calls answered, by gRPC service, method, provider, code and "
          "account (a provider account the gateway serves; none when the "
          "call named an account it does not have, or is for none).",
          {"grpc_service", "grpc_method", "provider", "grpc_code", "account"})),
      rpc_duration_(registry_.AddHistogram(
          "linkgateway_rpc_duration_seconds",
          "From a call's start to its answer, by gRPC service, method, provider and account.",
          {"grpc_service", "grpc_method", "provider", "account"})),
      rejected_(registry_.AddCounter(
          "linkgateway_rejected_calls_total",
          "Calls refused at their start to shed load, by reason (OVERLOADED: the gateway's "
          "cap on calls in flight; TOO_MANY_STREAMS: one connection's).",
          {"reason"})),
      upstream_requests_(registry_.AddCounter(
          "linkgateway_upstream_requests_total",
          "Requests to a provider that got an HTTP answer, by provider, operation, HTTP "
          "status and account (a provider's named account; none for providers without).",
          {"provider", "operation", "status", "account"})),
      upstream_failures_(registry_.AddCounter(
          "linkgateway_upstream_failures_total",
          "Requests to a provider that got no HTTP answer, by provider, operation, kind "
          "(connect_failed, timeout, connection_lost, tls_untrusted, ...) and account.",
          {"provider", "operation", "kind", "account"})),
      upstream_duration_(registry_.AddHistogram(
          "linkgateway_upstream_request_duration_seconds",
          "One request to a provider, from its start to its answer or failure.",
          {"provider", "operation", "account"})),
      retries_(registry_.AddCounter("linkgateway_upstream_retries_total",
                                    "Attempts repeated by the retry policy.",
                                    {"provider", "operation", "account"})),
      rate_limit_wait_(registry_.AddHistogram(
          "linkgateway_rate_limit_wait_seconds",
          "How long calls waited for the provider's usage plan (client-side rate limiter); "
          "calls that did not wait are not counted.",
          {"provider", "operation", "account"})),
      rate_limit_rejections_(registry_.AddCounter(
          "linkgateway_rate_limit_rejections_total",
          "Calls refused because they could not start within their deadline under the "
          "provider's usage plan (RESOURCE_EXHAUSTED, CLIENT_RATE_LIMITED).",
          {"provider", "operation", "account"})),
      token_fetches_(
          registry_.AddCounter("linkgateway_token_fetches_total",
                               "Upstream access-token fetches, by source and result (ok, error).",
                               {"source", "result"})),
      shared_state_fallbacks_(registry_.AddCounter(
          "linkgateway_shared_state_fallbacks_total",
          "Times Redis was unreachable and this replica used its own state instead, by what "
          "(rate_limit: its share of the rate; token: its own token fetch; idempotency: its "
          "own records).",
          {"what"})),
      idempotency_refusals_(registry_.AddCounter(
          "linkgateway_idempotency_refusals_total",
          "Deletes refused, nothing sent, because their request_id could not be checked, by "
          "reason (IDEMPOTENCY_UNAVAILABLE: the records are out of reach; "
          "REQUEST_ID_UNVERIFIABLE: records were lost and this id has none).",
          {"reason"})),
      dependency_up_(registry_.AddGauge(
          "linkgateway_dependency_up",
          "1 while a dependency answers as it should (its health service "
          "linkgateway.dependency.<name> is SERVING): shared_state, job_store, audit_trail.",
          {"dependency"})),
      audit_records_(
          registry_
              .AddCounter("linkgateway_audit_records_total", "Audit records written and flushed.")
              .With({})),
      audit_failures_(registry_
                          .AddCounter("linkgateway_audit_write_failures_total",
                                      "Audit records that could not be written or flushed "
                                      "(the calls failed closed).")
                          .With({})),
      audit_refusals_dropped_(
          registry_
              .AddCounter("linkgateway_audit_refusals_dropped_total",
                          "Records of refused calls (unauthenticated, denied, invalid) not "
                          "written because their peer exceeded its budget; the calls were "
                          "answered as usual.")
              .With({})),
      access_log_dropped_(registry_
                              .AddCounter("linkgateway_access_log_dropped_total",
                                          "Access-log lines dropped because the log could "
                                          "not keep up.")
                              .With({})),
      unlink_steps_(registry_.AddCounter(
          "linkgateway_unlink_steps_total",
          "Unlink job steps finished, by provider and final state (SUCCEEDED, ALREADY_GONE, "
          "FAILED, OUTCOME_UNKNOWN, CANCELLED).",
          {"provider", "state"})),
      unlink_store_writes_(registry_
                               .AddHistogram("linkgateway_unlink_store_write_seconds",
                                             "Durable writes of an unlink step's intent or "
                                             "outcome to the job store.",
                                             {})
                               .With({})),
      unlink_in_flight_(registry_
                            .AddGauge("linkgateway_unlink_steps_in_flight",
                                      "Unlink job steps sent and not yet answered.")
                            .With({})),
      unlink_queue_depth_(registry_.AddGauge(
          "linkgateway_unlink_queue_depth",
          "Unlink job steps waiting to be sent by this replica, by provider and account.",
          {"provider", "account"})),
      unlink_oldest_waiting_(registry_.AddGauge(
          "linkgateway_unlink_oldest_waiting_step_age_seconds",
          "How long the longest-waiting unlink step of this replica has waited, by provider "
          "and account (0 when none waits).",
          {"provider", "account"})) {
  std::vector<std::string> names, values;
  for (auto& [name, value] : build_info) {
    names.push_back(name);
    values.push_back(value);
  }
  registry_.AddGauge("linkgateway_build_info", "Always 1; the labels say what is running.", names)
      .With(values)
      .Set(1);
  registry_.AddCallbackGauge("linkgateway_calls_in_flight",
                             "API calls started and not yet answered.", [this] {
                               absl::MutexLock lock(&mu_);
                               return in_flight_ ? in_flight_() : 0.0;
                             });
}

RpcSeries& GatewayMetrics::Rpc(absl::string_view service, absl::string_view method,
                               absl::string_view provider, absl::string_view account) {
  std::string key = absl::StrCat(service, "/", method, "/", provider, "/", account);
  {
    absl::MutexLock lock(&mu_);
    auto it = rpc_series_.find(key);
    if (it != rpc_series_.end()) return *it->second;
  }
  auto series = std::make_unique<RpcSeries>();
  std::string const provider_label = provider.empty() ? "none" : std::string(provider);
  for (std::size_t code = 0; code < series->by_code_.size(); ++code) {
    series->by_code_[code] = &rpcs_.With(
        {std::string(service), std::string(method), provider_label,
         absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), std::string(account)});
  }
  series->duration_ = &rpc_duration_.With(
      {std::string(service), std::string(method), provider_label, std::string(account)});
  absl::MutexLock lock(&mu_);
  auto& slot = rpc_series_[key];
  if (slot == nullptr) slot = std::move(series);
  return *slot;
}

UpstreamSeries& GatewayMetrics::Upstream(absl::string_view provider, absl::string_view operation,
                                         absl::string_view account) {
  std::string key = absl::StrCat(provider, ".", operation, "/", account);
  absl::MutexLock lock(&mu_);
  auto& slot = upstream_series_[key];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<UpstreamSeries>();
  slot->provider_ = std::string(provider);
  slot->operation_ = std::string(operation);
  slot->account_ = std::string(account);
  std::vector<std::string> const labels = {slot->provider_, slot->operation_, slot->account_};
  slot->requests_ = &upstream_requests_;
  slot->failures_ = &upstream_failures_;
  slot->duration_ = &upstream_duration_.With(labels);
  slot->retries_ = &retries_.With(labels);
  slot->rate_limit_wait_ = &rate_limit_wait_.With(labels);
  slot->rate_limit_rejections_ = &rate_limit_rejections_.With(labels);
  return *slot;
}

void GatewayMetrics::Rejected(absl::string_view reason) {
  rejected_.With({std::string(reason)}).Increment();
}

void GatewayMetrics::TokenFetched(absl::string_view source, bool ok) {
  token_fetches_.With({std::string(source), ok ? "ok" : "error"}).Increment();
}

void GatewayMetrics::UnlinkStepFinished(absl::string_view provider, absl::string_view state) {
  unlink_steps_.With({std::string(provider), std::string(state)}).Increment();
}

void GatewayMetrics::UnlinkQueue(absl::string_view provider, absl::string_view account,
                                 std::int64_t depth, absl::Duration oldest_wait) {
  std::vector<std::string> labels = {std::string(provider), std::string(account)};
  unlink_queue_depth_.With(labels).Set(depth);
  unlink_oldest_waiting_.With(labels).Set(absl::ToInt64Seconds(oldest_wait));
}

void GatewayMetrics::SharedStateFallback(absl::string_view what) {
  shared_state_fallbacks_.With({std::string(what)}).Increment();
}

void GatewayMetrics::IdempotencyRefused(absl::string_view reason) {
  idempotency_refusals_.With({std::string(reason)}).Increment();
}

void GatewayMetrics::SetDependencyUp(absl::string_view dependency, bool up) {
  dependency_up_.With({std::string(dependency)}).Set(up ? 1 : 0);
}

void GatewayMetrics::SetSharedStateReader(std::function<bool()> connected) {
  registry_.AddCallbackGauge("linkgateway_shared_state_connected",
                             "1 while the connection to Redis (shared_state) is up and "
                             "authenticated.",
                             [connected = std::move(connected)] { return connected() ? 1.0 : 0.0; });
}

void GatewayMetrics::SetInFlightReader(std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  in_flight_ = std::move(read);
}

}  // namespace linkgateway::observability::metrics
