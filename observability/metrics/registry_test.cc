#include "observability/metrics/registry.h"

#include <curl/curl.h>

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observability/metrics/gateway_metrics.h"
#include "observability/metrics/http_endpoint.h"

namespace linkgateway::observability::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RegistryTest, CountersAndGaugesWithLabels) {
  Registry registry;
  auto& calls = registry.AddCounter("test_calls_total", "Calls.", {"method", "code"});
  calls.With({"Delete", "OK"}).Increment();
  calls.With({"Delete", "OK"}).Increment(2);
  calls.With({"Get", "NOT_FOUND"}).Increment();
  registry.AddGauge("test_depth", "Depth.").With({}).Set(-4);
  EXPECT_EQ(registry.Exposition(),
            "# HELP test_calls_total Calls.\n"
            "# TYPE test_calls_total counter\n"
            "test_calls_total{method=\"Delete\",code=\"OK\"} 3\n"
            "test_calls_total{method=\"Get\",code=\"NOT_FOUND\"} 1\n"
            "# HELP test_depth Depth.\n"
            "# TYPE test_depth gauge\n"
            "test_depth -4\n");
}

TEST(RegistryTest, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  registry.AddCounter("test_total", "A \\ and\na newline.", {"v"})
      .With({"quote \" backslash \\ newline \n"})
      .Increment();
  EXPECT_EQ(registry.Exposition(),
            "# HELP test_total A \\\\ and\\na newline.\n"
            "# TYPE test_total counter\n"
            "test_total{v=\"quote \\\" backslash \\\\ newline \\n\"} 1\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry registry;
  auto& latency = registry.AddHistogram("test_seconds", "Latency.", {"op"}, {0.01, 0.1, 1});
  auto& series = latency.With({"x"});
  series.Observe(absl::Milliseconds(5));
  series.Observe(absl::Milliseconds(10));  // on a bound: counted in it (le)
  series.Observe(absl::Milliseconds(50));
  series.Observe(absl::Seconds(3));
  EXPECT_EQ(registry.Exposition(),
            "# HELP test_seconds Latency.\n"
            "# TYPE test_seconds histogram\n"
            "test_seconds_bucket{op=\"x\",le=\"0.01\"} 2\n"
            "test_seconds_bucket{op=\"x\",le=\"0.1\"} 3\n"
            "test_seconds_bucket{op=\"x\",le=\"1\"} 3\n"
            "test_seconds_bucket{op=\"x\",le=\"+Inf\"} 4\n"
            "test_seconds_sum{op=\"x\"} 3.065\n"
            "test_seconds_count{op=\"x\"} 4\n");
}

TEST(RegistryTest, FamiliesAreSortedAndCallbackGaugesReadWhenWritten) {
  Registry registry;
  int reads = 0;
  registry.AddCallbackGauge("b_in_flight", "In flight.", [&reads] { return ++reads * 1.5; });
  registry.AddCounter("a_total", "A.");
  std::string text = registry.Exposition();
  EXPECT_LT(text.find("a_total"), text.find("b_in_flight"));
  EXPECT_THAT(text, HasSubstr("b_in_flight 1.5\n"));
  EXPECT_THAT(registry.Exposition(), HasSubstr("b_in_flight 3\n"));
}

TEST(RegistryTest, LabelledCallbackGaugesWriteEachSeriesReadWhenWritten) {
  Registry registry;
  double expiry = 1.5e9;
  registry.AddCallbackGauges(
      "c_expiry_seconds", "Expiry.", {"certificate"},
      {{{"server"}, [&expiry] { return expiry; }}, {{"client_ca"}, [] { return 0.0; }}});
  registry.AddCallbackGauges("d_none", "No series.", {"k"}, {});
  EXPECT_THAT(registry.Exposition(), HasSubstr("# TYPE c_expiry_seconds gauge\n"
                                               "c_expiry_seconds{certificate=\"server\"} 1.5e+09\n"
                                               "c_expiry_seconds{certificate=\"client_ca\"} 0\n"
                                               "# HELP d_none No series.\n# TYPE d_none gauge\n"));
  expiry = 1700000001;
  EXPECT_THAT(registry.Exposition(),
              HasSubstr("c_expiry_seconds{certificate=\"server\"} 1700000001\n"));
}

TEST(RegistryTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  auto& family = registry.AddCounter("test_total", "T.", {"k"});
  auto& histogram = registry.AddHistogram("test_seconds", "T.", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, &histogram, t] {
      for (int i = 0; i < 10000; ++i) {
        family.With({t % 2 == 0 ? "even" : "odd"}).Increment();
        histogram.With({}).Observe(absl::Microseconds(1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.With({"even"}).value(), 20000u);
  EXPECT_EQ(family.With({"odd"}).value(), 20000u);
  EXPECT_EQ(histogram.With({}).Read().count, 40000u);
}

TEST(RegistryDeathTest, MistakesStopAtRegistration) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("dup_total", "x");
        registry.AddCounter("dup_total", "x");
      },
      "registered twice");
  EXPECT_DEATH(Registry().AddCounter("no_suffix", "x"), "must end in _total");
  EXPECT_DEATH(Registry().AddGauge("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(Registry().AddGauge("g", "x", {"le"}), "invalid label name");
}

TEST(GatewayMetricsTest, RpcAndUpstreamSeries) {
  GatewayMetrics metrics(std::vector<std::pair<std::string, std::string>>{{"version", "test"}});
  metrics.Rpc("linkgateway.v1.S", "Delete", "p").Finished(absl::StatusCode::kNotFound,
                                                           absl::Milliseconds(3));
  metrics.Rpc("linkgateway.v1.S", "Delete", "").Finished(absl::StatusCode::kInvalidArgument,
                                                          absl::Milliseconds(1));
  metrics.Rpc("linkgateway.v1.S", "Delete", "p", "eu")
      .Finished(absl::StatusCode::kPermissionDenied, absl::Milliseconds(1));
  auto& upstream = metrics.Upstream("p", "Delete");
  upstream.Answered(404, absl::Milliseconds(2));
  upstream.Answered(404, absl::Milliseconds(2));
  upstream.Answered(9999, absl::Milliseconds(2));
  upstream.Failed("connect_failed", absl::Milliseconds(1));
  upstream.Retried();
  metrics.TokenFetched("login_with_amazon", false);
  metrics.Rejected("OVERLOADED");
  metrics.SetInFlightReader([] { return 7; });
  std::string text = metrics.registry().Exposition();
  EXPECT_THAT(text, HasSubstr("linkgateway_build_info{version=\"test\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_rpcs_total{grpc_service=\"linkgateway.v1.S\","
                              "grpc_method=\"Delete\",provider=\"p\",grpc_code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("provider=\"none\",grpc_code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("provider=\"p\",grpc_code=\"PERMISSION_DENIED\",account=\"eu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_rpc_duration_seconds_count{grpc_service=\"linkgateway."
                              "v1.S\",grpc_method=\"Delete\",provider=\"p\",account=\"eu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_upstream_requests_total{provider=\"p\","
                              "operation=\"Delete\",status=\"404\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("status=\"other\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_upstream_failures_total{provider=\"p\","
                              "operation=\"Delete\",kind=\"connect_failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_upstream_request_duration_seconds_count{provider=\"p\","
                              "operation=\"Delete\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_upstream_retries_total{provider=\"p\","
                              "operation=\"Delete\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_token_fetches_total{source=\"login_with_amazon\","
                              "result=\"error\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_rejected_calls_total{reason=\"OVERLOADED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("linkgateway_calls_in_flight 7\n"));
}

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct Fetched {
  long status = 0;
  std::string content_type;
  std::string body;
};

Fetched Get(std::string const& url) {
  Fetched fetched;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &fetched.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &fetched.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) fetched.content_type = type;
  }
  curl_easy_cleanup(curl);
  return fetched;
}

TEST(HttpEndpointTest, ServesTheExpositionAtMetricsOnly) {
  Registry registry;
  registry.AddCounter("served_total", "Served.").With({}).Increment(5);
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);
  std::string base = "http://127.0.0.1:" + std::to_string((*endpoint)->port());
  Fetched metrics = Get(base + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, kExpositionContentType);
  EXPECT_THAT(metrics.body, HasSubstr("served_total 5\n"));
  EXPECT_EQ(Get(base + "/").status, 404);
  EXPECT_EQ(Get(base + "/metrics/../secrets").status, 404);
}

TEST(HttpEndpointTest, BadOrBusyAddressesAreErrors) {
  Registry registry;
  EXPECT_FALSE(HttpEndpoint::Start("no-port", registry).ok());
  auto first = HttpEndpoint::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok());
  auto second =
      HttpEndpoint::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("for metrics"));
  EXPECT_THAT(second.status().message(), Not(HasSubstr("no-port")));
}

}  // namespace
}  // namespace linkgateway::observability::metrics
