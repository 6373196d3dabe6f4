// RetryingOperation and RateLimitedOperation on a manual clock: no test sleeps.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/policies/rate_limited_operation.h"
#include "adapters/policies/retrying_operation.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::policies {
namespace {

using adapters::testing::ManualScheduler;
using ::testing::HasSubstr;

struct Request {
  std::string id;
};
struct Response {
  std::string value;
  bool already_deleted = false;
};

// Answers attempts from a script; records when each attempt started.
class ScriptedOperation : public adapters::operation::Operation<Request, Response> {
 public:
  explicit ScriptedOperation(adapters::async::Scheduler& clock) : clock_(clock) {}

  void Start(adapters::operation::CallContext const&, Request const& request,
             adapters::operation::Callback<Response> done) override {
    starts.push_back(clock_.Now());
    ids.push_back(request.id);
    absl::StatusOr<Response> next =
        script.empty() ? absl::StatusOr<Response>(Response{"ok"}) : script.front();
    if (!script.empty()) script.pop_front();
    std::move(done)(std::move(next));
  }

  std::deque<absl::StatusOr<Response>> script;
  std::vector<absl::Time> starts;
  std::vector<std::string> ids;

 private:
  adapters::async::Scheduler& clock_;
};

constexpr adapters::errors::ProviderErrors kUpstream{"upstream.example", "Upstream", {}};

absl::Status Upstream(int http_status, std::string code = "") {
  adapters::errors::UpstreamError error;
  error.provider = &kUpstream;
  error.http_status = http_status;
  error.vendor_code = std::move(code);
  return adapters::errors::MapUpstreamError(error);
}

absl::Status Transport(adapters::errors::TransportFailure failure) {
  return adapters::errors::MapTransportFailure(failure, "upstream.example", "detail");
}

class RetryTest : public ::testing::Test {
 protected:
  std::unique_ptr<RetryingOperation<Request, Response>> Retrying(
      Idempotency idempotency = Idempotency::kIdempotent,
      RetryingOperation<Request, Response>::AlreadyDone already_done = nullptr) {
    return std::make_unique<RetryingOperation<Request, Response>>(
        inner_, policy_, idempotency, clock_, std::move(already_done), [this] { return random_; });
  }

  // Starts a call and runs every timer until it finishes.
  absl::StatusOr<Response> Run(
      adapters::operation::Operation<Request, Response>& op,
      absl::Duration deadline = absl::Seconds(60),
      std::shared_ptr<adapters::async::Cancellation> cancellation = nullptr) {
    std::optional<absl::StatusOr<Response>> result;
    adapters::operation::CallContext context{clock_.Now() + deadline, std::move(cancellation),
                                             nullptr};
    op.Start(context, Request{"r-1"}, [&](absl::StatusOr<Response> r) { result = std::move(r); });
    while (!result && clock_.pending() > 0) clock_.AdvanceBy(clock_.next() - clock_.Now());
    EXPECT_TRUE(result.has_value());
    return result.value_or(absl::InternalError("never finished"));
  }

  adapters::testing::ManualScheduler clock_;
  std::shared_ptr<ScriptedOperation> inner_ = std::make_shared<ScriptedOperation>(clock_);
  RetryPolicy policy_;
  double random_ = 1.0;  // the longest wait full jitter allows
};

TEST_F(RetryTest, TransientFailureIsRetriedWithBackoff) {
  inner_->script = {Upstream(503), Upstream(500)};
  auto result = Run(*Retrying());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(inner_->starts.size(), 3u);
  EXPECT_EQ(inner_->starts[1] - inner_->starts[0], absl::Milliseconds(100));
  EXPECT_EQ(inner_->starts[2] - inner_->starts[1], absl::Milliseconds(200));
  EXPECT_EQ(inner_->ids, (std::vector<std::string>{"r-1", "r-1", "r-1"}));
}

TEST_F(RetryTest, FullJitterCanWaitNothing) {
  random_ = 0.0;
  inner_->script = {Upstream(503)};
  ASSERT_TRUE(Run(*Retrying()).ok());
  EXPECT_EQ(inner_->starts[1], inner_->starts[0]);
}

TEST_F(RetryTest, RetryAfterIsHonoured) {
  absl::Status throttled = Upstream(429, "QuotaExceeded");
  adapters::errors::SetRetryDelay(throttled, absl::Seconds(3));
  inner_->script = {throttled};
  ASSERT_TRUE(Run(*Retrying()).ok());
  ASSERT_EQ(inner_->starts.size(), 2u);
  EXPECT_EQ(inner_->starts[1] - inner_->starts[0], absl::Seconds(3));
}

TEST_F(RetryTest, PermanentFailureIsNotRetried) {
  inner_->script = {Upstream(404, "NotFound")};
  auto result = Run(*Retrying());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(inner_->starts.size(), 1u);
}

TEST_F(RetryTest, AttemptsAreBounded) {
  inner_->script = {Upstream(503), Upstream(503), Upstream(503), Upstream(503)};
  auto result = Run(*Retrying());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("gave up after 3 attempts"));
  EXPECT_EQ(inner_->starts.size(), 3u);
  // The details survive the annotation.
  google::rpc::ErrorInfo info;
  EXPECT_TRUE(adapters::errors::FindDetail(result.status(), info));
}

TEST_F(RetryTest, DeadlineBoundsTheRetries) {
  absl::Status throttled = Upstream(429, "QuotaExceeded");
  adapters::errors::SetRetryDelay(throttled, absl::Seconds(5));
  inner_->script = {throttled};
  auto result = Run(*Retrying(), absl::Seconds(2));
  EXPECT_EQ(inner_->starts.size(), 1u);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(adapters::errors::RetryDelayOf(result.status()), absl::Seconds(5));
}

TEST_F(RetryTest, ThrottleThatOutlivesRetriesIsResourceExhaustedWithRetryInfo) {
  inner_->script = {Upstream(429, "QuotaExceeded"), Upstream(429, "QuotaExceeded"),
                    Upstream(429, "QuotaExceeded")};
  auto result = Run(*Retrying());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  auto delay = adapters::errors::RetryDelayOf(result.status());
  ASSERT_TRUE(delay.has_value());
  EXPECT_EQ(*delay, absl::Milliseconds(400));  // the wait a fourth attempt would have had
}

TEST_F(RetryTest, NonIdempotentCallIsRetriedOnlyWhenItNeverLeft) {
  inner_->script = {Transport(adapters::errors::TransportFailure::kConnect), Upstream(503)};
  auto result = Run(*Retrying(Idempotency::kNonIdempotent));
  // Connect failed (never sent): retried. The 503 may have been applied: not
  // retried, and reported as an unknown outcome, which standard client retry
  // policies do not repeat either (they would repeat UNAVAILABLE).
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnknown);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(info.domain(), "upstream.example");
  EXPECT_EQ(info.metadata().at("causeCode"), "UNAVAILABLE");
  EXPECT_EQ(info.metadata().at("causeReason"), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(info.metadata().at("httpStatus"), "503");
  EXPECT_FALSE(adapters::errors::RetryDelayOf(result.status()).has_value());
  EXPECT_EQ(inner_->starts.size(), 2u);
}

TEST_F(RetryTest, NonIdempotentCallRejectedOutrightKeepsItsCode) {
  inner_->script = {Upstream(404, "NotFound")};
  auto result = Run(*Retrying(Idempotency::kNonIdempotent));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(inner_->starts.size(), 1u);
}

TEST_F(RetryTest, NonIdempotentCallIsRetriedAfterAnExplicitThrottle) {
  inner_->script = {Upstream(429, "QuotaExceeded")};
  ASSERT_TRUE(Run(*Retrying(Idempotency::kNonIdempotent)).ok());
  EXPECT_EQ(inner_->starts.size(), 2u);
}

TEST_F(RetryTest, RetriedDeleteThatFindsTheTargetGoneSaysSo) {
  auto gone = [](absl::Status const& status) -> std::optional<absl::StatusOr<Response>> {
    if (status.code() != absl::StatusCode::kNotFound) return std::nullopt;
    return Response{"", true};
  };
  inner_->script = {Transport(adapters::errors::TransportFailure::kReceive),
                    Upstream(404, "NotFound")};
  auto result = Run(*Retrying(Idempotency::kIdempotent, gone));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->already_deleted);
}

TEST_F(RetryTest, NotFoundOnTheFirstAttemptStaysNotFound) {
  auto gone = [](absl::Status const&) -> std::optional<absl::StatusOr<Response>> {
    return Response{"", true};
  };
  inner_->script = {Upstream(404, "NotFound")};
  EXPECT_EQ(Run(*Retrying(Idempotency::kIdempotent, gone)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RetryTest, NotFoundAfterOnlyUnsentAttemptsStaysNotFound) {
  auto gone = [](absl::Status const&) -> std::optional<absl::StatusOr<Response>> {
    return Response{"", true};
  };
  inner_->script = {Transport(adapters::errors::TransportFailure::kConnect),
                    Upstream(404, "NotFound")};
  EXPECT_EQ(Run(*Retrying(Idempotency::kIdempotent, gone)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RetryTest, CancelledCallIsNotRetried) {
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  cancellation->Cancel();
  inner_->script = {Upstream(503)};
  auto result = Run(*Retrying(), absl::Seconds(60), cancellation);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(inner_->starts.size(), 1u);
}

TEST(BackoffTest, ExponentialWithCap) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Seconds(1);
  policy.max_backoff = absl::Seconds(20);
  EXPECT_EQ(BackoffDelay(policy, 1, 1.0), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(policy, 3, 1.0), absl::Seconds(4));
  EXPECT_EQ(BackoffDelay(policy, 10, 1.0), absl::Seconds(20));
  EXPECT_EQ(BackoffDelay(policy, 3, 0.5), absl::Seconds(2));
}

TEST(TokenBucketTest, BurstThenRate) {
  adapters::testing::ManualScheduler clock;
  TokenBucket bucket(1.0, 5, clock);
  absl::Time now = clock.Now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.Reserve(absl::InfiniteFuture()), now);
  EXPECT_EQ(bucket.Reserve(absl::InfiniteFuture()), now + absl::Seconds(1));
  EXPECT_EQ(bucket.Reserve(absl::InfiniteFuture()), now + absl::Seconds(2));
  // Too late: nothing is taken.
  EXPECT_EQ(bucket.Reserve(now + absl::Seconds(2)), std::nullopt);
  EXPECT_EQ(bucket.Reserve(now + absl::Seconds(3)), now + absl::Seconds(3));
  EXPECT_EQ(bucket.WaitForNext(), absl::Seconds(4));
  // Idle time refills up to the burst, not beyond.
  clock.AdvanceBy(absl::Seconds(100));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.Reserve(clock.Now()), clock.Now());
  EXPECT_EQ(bucket.Reserve(clock.Now()), std::nullopt);
}

TEST(RateLimitedTest, BurstOfTwentyIsQueuedAtTheUsagePlan) {
  adapters::testing::ManualScheduler clock;
  auto inner = std::make_shared<ScriptedOperation>(clock);
  RateLimitedOperation<Request, Response> limited(
      inner, std::make_shared<TokenBucket>(1.0, 5, clock), clock,
      "deleteSubscriptionById");
  absl::Time start = clock.Now();
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    limited.Start(adapters::operation::CallContext{start + absl::Seconds(60), nullptr, nullptr},
                  Request{absl::StrCat(i)}, [&](absl::StatusOr<Response> r) { ok += r.ok(); });
  }
  EXPECT_EQ(inner->starts.size(), 5u);
  clock.AdvanceBy(absl::Seconds(15));
  EXPECT_EQ(ok, 20);
  ASSERT_EQ(inner->starts.size(), 20u);
  for (int i = 5; i < 20; ++i) EXPECT_EQ(inner->starts[i], start + absl::Seconds(i - 4));
  // Order is kept.
  EXPECT_EQ(inner->ids.back(), "19");
}

// Queued work (unlink steps) takes its turn before it records that it is
// about to send; the operation then does not take a second one, and a retry
// of the same call does.
TEST(RateLimitedTest, ATurnTakenAheadIsTakenOnceAndNothingIsTakenWithoutOne) {
  adapters::testing::ManualScheduler clock;
  auto inner = std::make_shared<ScriptedOperation>(clock);
  auto bucket = std::make_shared<TokenBucket>(1.0, 2, clock);
  auto limiter = std::make_shared<LocalRateLimiter>(bucket);
  RateLimitedOperation<Request, Response> limited(inner, limiter, clock, "DeleteRegistration");
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 3; ++i) {
    TakeTurnNow(*limiter, clock, [&](absl::Duration wait) { waits.push_back(wait); });
  }
  // Two turns free now (the burst), then none for a second.
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_EQ(waits[0], absl::ZeroDuration());
  EXPECT_EQ(waits[1], absl::ZeroDuration());
  EXPECT_EQ(waits[2], absl::Seconds(1));
  // Refused turns take nothing: one is free a second later.
  clock.AdvanceBy(absl::Seconds(1));
  TakeTurnNow(*limiter, clock, [&](absl::Duration wait) { waits.push_back(wait); });
  EXPECT_EQ(waits.back(), absl::ZeroDuration());

  adapters::operation::CallContext context{clock.Now() + absl::Seconds(60), nullptr, nullptr};
  context.max_queue_wait = absl::ZeroDuration();
  context.turn_taken = std::make_shared<std::atomic<bool>>(true);
  std::vector<absl::StatusOr<Response>> results;
  auto record = [&](absl::StatusOr<Response> r) { results.push_back(std::move(r)); };
  limited.Start(context, Request{"first"}, record);
  // The same call again (a retry): the limit is asked, and has no turn.
  limited.Start(context, Request{"retry"}, record);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(inner->starts.size(), 1u);
}

TEST(RateLimitedTest, CallThatCannotStartBeforeItsDeadlineFailsFast) {
  adapters::testing::ManualScheduler clock;
  auto inner = std::make_shared<ScriptedOperation>(clock);
  RateLimitedOperation<Request, Response> limited(
      inner, std::make_shared<TokenBucket>(1.0, 1, clock), clock,
      "deleteSubscriptionById");
  std::vector<absl::StatusOr<Response>> results;
  for (int i = 0; i < 3; ++i) {
    limited.Start(
        adapters::operation::CallContext{clock.Now() + absl::Milliseconds(1500), nullptr, nullptr},
        Request{}, [&](absl::StatusOr<Response> r) { results.push_back(std::move(r)); });
  }
  ASSERT_EQ(results.size(), 2u);  // the first ran; the third was refused at once
  EXPECT_TRUE(results[0].ok());
  absl::Status refused = results[1].status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("deleteSubscriptionById is limited to 1 requests/s"));
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(refused));
  // Not for the retry decorator: the reservation looked as far as the
  // deadline allows. The caller gets the RetryInfo.
  EXPECT_EQ(adapters::errors::RetryClassOf(refused), adapters::errors::RetryClass::kNone);
  // The queued second call holds the next token: a new call could start in 2 s.
  EXPECT_EQ(adapters::errors::RetryDelayOf(refused), absl::Seconds(2));
  clock.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(results.size(), 3u);
  EXPECT_EQ(inner->starts.size(), 2u);
}

TEST(RateLimitedTest, CancelledWhileQueuedIsAnsweredAtOnceAndNeverStarts) {
  adapters::testing::ManualScheduler clock;
  auto inner = std::make_shared<ScriptedOperation>(clock);
  RateLimitedOperation<Request, Response> limited(
      inner, std::make_shared<TokenBucket>(1.0, 1, clock), clock, "op");
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  std::vector<absl::StatusOr<Response>> results;
  for (int i = 0; i < 2; ++i) {
    limited.Start(
        adapters::operation::CallContext{clock.Now() + absl::Seconds(10), cancellation, nullptr},
        Request{}, [&](absl::StatusOr<Response> r) { results.push_back(std::move(r)); });
  }
  ASSERT_EQ(results.size(), 1u);
  cancellation->Cancel();
  // No clock movement needed: the queued call answers as soon as it cancels.
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kCancelled);
  clock.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(results.size(), 2u);
  EXPECT_EQ(inner->starts.size(), 1u);
}

TEST_F(RetryTest, CancelledDuringBackoffIsAnsweredAtOnce) {
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  inner_->script = {Upstream(503)};
  std::optional<absl::StatusOr<Response>> result;
  auto retrying = Retrying();
  retrying->Start(
      adapters::operation::CallContext{clock_.Now() + absl::Seconds(60), cancellation, nullptr},
      Request{"r-1"}, [&](absl::StatusOr<Response> r) { result = std::move(r); });
  ASSERT_FALSE(result.has_value());  // waiting to retry
  cancellation->Cancel();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled);
  clock_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(inner_->starts.size(), 1u);
}

}  // namespace
}  // namespace linkgateway::adapters::policies
