// DependencyHealth with probes the test controls: health services, gauges
// and the watchdog for a probe that does not answer.
#include "server/dependency_health.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::server {
namespace {

using ::testing::HasSubstr;

// Abseil's deadlock detection (on in debug builds) keeps one graph of all
// mutexes behind a spin lock of its own, which ThreadSanitizer cannot see in
// Debian's uninstrumented abseil: a reader's lock beside a timed wait looked
// like a race inside that graph. The test's own locking is TSan's to check.
[[maybe_unused]] bool const kNoDeadlockGraph = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

// Waits (bounded) until `check` holds.
template <typename Check>
bool Eventually(Check check) {
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!check() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  return check();
}

class DependencyHealthTest : public ::testing::Test {
 protected:
  std::string Gauge(std::string const& dependency) {
    std::string text = metrics_.registry().Exposition();
    std::string series =
        "linkgateway_dependency_up{dependency=\"" + dependency + "\"} ";
    auto at = text.find(series);
    return at == std::string::npos ? "absent" : text.substr(at + series.size(), 1);
  }

  HealthService health_{nullptr};
  observability::metrics::GatewayMetrics metrics_;
};

TEST_F(DependencyHealthTest, AProbesAnswerSetsItsGaugeAndStatusAndTheServicesThatNeedIt) {
  std::atomic<bool> up{true};
  DependencyHealth dependencies(health_, metrics_, absl::Milliseconds(20));
  dependencies.Add(
      "job_store",
      [&] { return up ? absl::OkStatus() : absl::UnavailableError("the store is stalled"); },
      {"linkgateway.v1.UnlinkService"});
  EXPECT_TRUE(dependencies.status("job_store").ok());  // probed once by Add
  EXPECT_EQ(Gauge("job_store"), "1");
  up = false;
  ASSERT_TRUE(Eventually([&] { return !dependencies.status("job_store").ok(); }));
  EXPECT_THAT(dependencies.status("job_store").message(), HasSubstr("stalled"));
  EXPECT_EQ(Gauge("job_store"), "0");
  up = true;
  ASSERT_TRUE(Eventually([&] { return dependencies.status("job_store").ok(); }));
  EXPECT_EQ(Gauge("job_store"), "1");
  EXPECT_EQ(dependencies.status("unknown").code(), absl::StatusCode::kNotFound);
}

TEST_F(DependencyHealthTest, WhatOthersSetDoesNotHideADependencyThatIsDown) {
  constexpr char kUnlink[] = "linkgateway.v1.UnlinkService";
  std::atomic<bool> up{false};
  health_.Set(kUnlink, true);
  DependencyHealth dependencies(health_, metrics_, absl::Milliseconds(20));
  dependencies.Add("job_store",
                   [&] { return up ? absl::OkStatus() : absl::UnavailableError("stalled"); },
                   {kUnlink});
  EXPECT_EQ(health_.status(kUnlink), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // What the security health does every second.
  health_.Set(kUnlink, true);
  EXPECT_EQ(health_.status(kUnlink), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(health_.status("linkgateway.dependency.job_store"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  up = true;
  ASSERT_TRUE(Eventually(
      [&] { return health_.status(kUnlink) == grpc::health::v1::HealthCheckResponse::SERVING; }));
  // And a service the security health turns off stays off.
  health_.Set(kUnlink, false);
  EXPECT_EQ(health_.status(kUnlink), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

TEST_F(DependencyHealthTest, AProbeThatDoesNotAnswerIsNotServingMeanwhile) {
  std::atomic<bool> stall{false};
  absl::Notification release;
  DependencyHealth dependencies(health_, metrics_, absl::Milliseconds(20),
                                /*stuck_after=*/absl::Milliseconds(200));
  dependencies.Add("shared_state", [&] {
    if (stall) release.WaitForNotification();
    return absl::OkStatus();
  });
  dependencies.Add("audit_trail", [] { return absl::OkStatus(); });
  stall = true;
  ASSERT_TRUE(Eventually([&] { return !dependencies.status("shared_state").ok(); }));
  EXPECT_THAT(dependencies.status("shared_state").message(), HasSubstr("has not answered"));
  EXPECT_EQ(Gauge("shared_state"), "0");
  // The others are still asked.
  EXPECT_TRUE(dependencies.status("audit_trail").ok());
  stall = false;
  release.Notify();
  ASSERT_TRUE(Eventually([&] { return dependencies.status("shared_state").ok(); }));
}

}  // namespace
}  // namespace linkgateway::server
