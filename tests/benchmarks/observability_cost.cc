// What metrics and the access log cost per call, measured in isolation:
// the exact updates the dispatch path and a metered transport make for one
// call (RPC counter and histogram, upstream counter and histogram), and one
// access-log line (JSON and text) written by the log's own thread to
// /dev/null. Prints nanoseconds per call with 1 and 2 threads.
//
//   bazel run -c opt //tests/benchmarks:observability_cost
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "observability/access_log/access_log.h"
#include "observability/metrics/gateway_metrics.h"

namespace {

using linkgateway::audit::v1::AuditRecord;
using linkgateway::observability::metrics::GatewayMetrics;

AuditRecord Record() {
  AuditRecord record;
  *record.mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  record.mutable_caller()->set_principal("spiffe://example.org/ns/prod/sa/billing");
  record.mutable_caller()->set_authenticated_by(
      linkgateway::audit::v1::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID);
  record.mutable_caller()->set_peer("ipv4:127.0.0.1:50524");
  record.set_method("/linkgateway.v1.RegistrationService/DeleteRegistration");
  record.set_provider("dash_replenishment");
  (*record.mutable_target())["device_identifier"] = "demo-device-1";
  record.mutable_outcome()->set_code("OK");
  record.mutable_upstream()->set_attempts(1);
  record.mutable_upstream()->set_http_status(200);
  record.mutable_upstream()->set_request_id("8cbe268f-72c7-44b1-ba75-57371304c1f0");
  *record.mutable_latency() = google::protobuf::util::TimeUtil::MicrosecondsToDuration(1234);
  return record;
}

// One call's metric updates, as dispatch.h and metered_transport.cc make them.
void MetricsOfOneCall(GatewayMetrics& metrics) {
  auto& upstream = metrics.Upstream("dash_replenishment", "DeleteRegistration");
  upstream.Answered(200, absl::Microseconds(900));
  metrics.Rpc("linkgateway.v1.RegistrationService", "DeleteRegistration", "dash_replenishment")
      .Finished(absl::StatusCode::kOk, absl::Microseconds(1200));
}

template <typename F>
double NanosPerCall(int threads, int calls_per_thread, F one_call) {
  absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < calls_per_thread; ++i) one_call();
    });
  }
  for (auto& worker : workers) worker.join();
  return absl::ToDoubleNanoseconds(absl::Now() - start) / (double{1} * threads * calls_per_thread);
}

}  // namespace

int main() {
  constexpr int kCalls = 200000;
  GatewayMetrics metrics;
  AuditRecord record = Record();
  std::printf("%-52s %12s %12s\n", "per call (wall time / calls)", "1 thread", "2 threads");
  double m1 = NanosPerCall(1, kCalls, [&] { MetricsOfOneCall(metrics); });
  double m2 = NanosPerCall(2, kCalls, [&] { MetricsOfOneCall(metrics); });
  std::printf("%-52s %9.0f ns %9.0f ns\n", "metrics (2 counters, 2 histograms, lookups)", m1, m2);
  for (auto format : {linkgateway::config::v1::ACCESS_LOG_FORMAT_JSON,
                      linkgateway::config::v1::ACCESS_LOG_FORMAT_TEXT}) {
    linkgateway::config::v1::AccessLog config;
    config.set_enabled(true);
    config.set_path("/dev/null");
    config.set_format(format);
    double l1 = 0, l2 = 0;
    {
      auto log = linkgateway::observability::access_log::AccessLog::Open(
          config, metrics.access_log_dropped());
      if (!log.ok()) return 1;
      l1 = NanosPerCall(1, kCalls, [&] { (*log)->Write(record); });
      l2 = NanosPerCall(2, kCalls, [&] { (*log)->Write(record); });
    }
    std::printf("%-52s %9.0f ns %9.0f ns\n",
                format == linkgateway::config::v1::ACCESS_LOG_FORMAT_JSON
                    ? "access log line, JSON (formatting + handoff)"
                    : "access log line, text (formatting + handoff)",
                l1, l2);
  }
  std::printf("access-log lines dropped (buffer full): %llu\n",
              static_cast<unsigned long long>(metrics.access_log_dropped().value()));
  return 0;
}
