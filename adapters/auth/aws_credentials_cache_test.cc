// The credentials cache on the manual clock: one fetch for every concurrent
// caller, refreshes ahead of expiry (jittered), failures that keep valid
// credentials in use, deadlines and cancellations of waiting callers.
#include "adapters/auth/aws_credentials_cache.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;
using testing::ManualScheduler;

// Fetches the test answers by hand.
class FakeFetch final : public AwsCredentialFetch {
 public:
  explicit FakeFetch(std::string key) : key_(std::move(key)) {}
  std::string Key() const override { return key_; }
  void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) override {
    absl::MutexLock lock(&mu_);
    deadlines_.push_back(deadline);
    pending_.push_back(std::move(done));
  }
  // Answers the oldest fetch; false when none waits.
  bool Answer(absl::StatusOr<AwsCredentials> result) {
    adapters::transport::Done<AwsCredentials> done;
    {
      absl::MutexLock lock(&mu_);
      if (pending_.empty()) return false;
      done = std::move(pending_.front());
      pending_.pop_front();
    }
    std::move(done)(std::move(result));
    return true;
  }
  int pending() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(pending_.size());
  }

 private:
  std::string const key_;
  mutable absl::Mutex mu_;
  std::deque<adapters::transport::Done<AwsCredentials>> pending_;
  std::vector<absl::Time> deadlines_;
};

// Plans what the test says: keys at hand, a fetch, or an error.
class FakePlanner final : public AwsCredentialPlanner {
 public:
  absl::StatusOr<AwsCredentialPlan> Plan() override {
    absl::MutexLock lock(&mu_);
    return plan;
  }
  void Set(absl::StatusOr<AwsCredentialPlan> p) {
    absl::MutexLock lock(&mu_);
    plan = std::move(p);
  }

 private:
  absl::Mutex mu_;
  absl::StatusOr<AwsCredentialPlan> plan = absl::UnknownError("unset");
};

AwsCredentials Temporary(std::string id, absl::Time expiration) {
  return {std::move(id), "secret-" + std::string("x"), "token", expiration};
}

std::string ReasonOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return adapters::errors::FindDetail(status, info) ? info.reason() : "";
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(); }
  // A fetch left waiting holds its own callback: answer it so nothing leaks.
  void TearDown() override {
    while (fetch_->Answer(absl::CancelledError("the test is over"))) {
    }
  }

  void Build(absl::Duration fetch_timeout = absl::Seconds(30)) {
    auto planner = std::make_unique<FakePlanner>();
    planner_ = planner.get();
    planner_->Set(AwsCredentialPlan{std::nullopt, fetch_});
    AwsCredentialsCacheOptions options;
    options.fetch_timeout = fetch_timeout;
    options.random = [this] { return random_; };
    options.on_fetch = [this](bool ok) { (ok ? fetched_ok_ : fetched_failed_)++; };
    cache_ = AwsCredentialsCache::Create(std::move(planner), clock_, options);
  }

  // Starts a Get; the result fills in when it is answered.
  std::shared_ptr<absl::StatusOr<AwsCredentials>> Start(
      absl::Duration timeout = absl::Seconds(30),
      std::shared_ptr<adapters::async::Cancellation> cancellation = nullptr) {
    auto result = std::make_shared<absl::StatusOr<AwsCredentials>>(absl::UnknownError("pending"));
    cache_->Get(clock_.Now() + timeout, std::move(cancellation),
                [result](absl::StatusOr<AwsCredentials> r) { *result = std::move(r); });
    return result;
  }

  std::string KeyIdNow() {
    auto r = Start();
    return r->ok() ? (*r)->access_key_id : std::string(r->status().message());
  }

  bool Pending(std::shared_ptr<absl::StatusOr<AwsCredentials>> const& r) {
    return !r->ok() && r->status().message() == "pending";
  }

  adapters::testing::ManualScheduler clock_;
  std::shared_ptr<FakeFetch> fetch_ = std::make_shared<FakeFetch>("role A");
  FakePlanner* planner_ = nullptr;
  std::shared_ptr<AwsCredentialsCache> cache_;
  double random_ = 0.5;
  int fetched_ok_ = 0;
  int fetched_failed_ = 0;
};

TEST_F(CacheTest, KeysAtHandAreAnsweredInlineWithoutFetching) {
  planner_->Set(
      AwsCredentialPlan{AwsCredentials{"AKID", "s", "", absl::InfiniteFuture()}, nullptr});
  EXPECT_EQ(KeyIdNow(), "AKID");
  planner_->Set(AwsCredentialsMissing("nothing configured"));
  EXPECT_THAT(KeyIdNow(), HasSubstr("nothing configured"));
  EXPECT_EQ(cache_->fetches(), 0);
}

TEST_F(CacheTest, OneFetchServesEveryConcurrentCaller) {
  std::vector<std::shared_ptr<absl::StatusOr<AwsCredentials>>> waiting;
  for (int i = 0; i < 1000; ++i) waiting.push_back(Start());
  EXPECT_EQ(cache_->fetches(), 1);
  EXPECT_EQ(fetch_->pending(), 1);
  for (auto const& r : waiting) EXPECT_TRUE(Pending(r));
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", clock_.Now() + absl::Hours(1))));
  for (auto const& r : waiting) {
    ASSERT_TRUE(r->ok()) << r->status();
    EXPECT_EQ((*r)->access_key_id, "ASIA1");
  }
  // Cached afterwards.
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  EXPECT_EQ(cache_->fetches(), 1);
  EXPECT_EQ(fetched_ok_, 1);
}

TEST_F(CacheTest, RefreshedAheadOfExpiryInTheBackground) {
  absl::Time expiration = clock_.Now() + absl::Hours(1);
  cache_->Prefetch();
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", expiration)));
  // random 0.5: 5 minutes ahead plus 1 of the 2 minutes of jitter.
  absl::Time refresh_at = expiration - absl::Minutes(6);
  clock_.AdvanceBy(refresh_at - clock_.Now() - absl::Seconds(1));
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  EXPECT_EQ(cache_->fetches(), 1);
  // The timer starts the refresh without any call.
  clock_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(cache_->fetches(), 2);
  // Calls meanwhile get the old credentials at once.
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  EXPECT_EQ(cache_->fetches(), 2);
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA2", expiration + absl::Hours(1))));
  EXPECT_EQ(KeyIdNow(), "ASIA2");
}

TEST_F(CacheTest, JitterStaysWithinItsWindow) {
  for (double random : {0.0, 0.999}) {
    random_ = random;
    Build();
    absl::Time expiration = clock_.Now() + absl::Hours(1);
    cache_->Prefetch();
    ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", expiration)));
    absl::Duration ahead = absl::Minutes(5) + absl::Minutes(2) * random;
    clock_.AdvanceBy(expiration - ahead - clock_.Now() - absl::Milliseconds(1));
    EXPECT_EQ(cache_->fetches(), 1) << random;
    clock_.AdvanceBy(absl::Milliseconds(1));
    EXPECT_EQ(cache_->fetches(), 2) << random;
    ASSERT_TRUE(fetch_->Answer(Temporary("ASIA2", expiration + absl::Hours(1))));
  }
}

TEST_F(CacheTest, ShortLivedCredentialsAreRefreshedHalfwayNotAtOnce) {
  absl::Time start = clock_.Now();
  cache_->Prefetch();
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", start + absl::Minutes(4))));
  clock_.AdvanceBy(absl::Minutes(2) - absl::Seconds(1));
  EXPECT_EQ(cache_->fetches(), 1);
  clock_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(cache_->fetches(), 2);
}

TEST_F(CacheTest, NeverHandedOutInTheirLastMinute) {
  Build(absl::Minutes(10));  // the refresh below stalls for minutes
  absl::Time expiration = clock_.Now() + absl::Hours(1);
  cache_->Prefetch();
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", expiration)));
  clock_.AdvanceBy(expiration - absl::Minutes(6) - clock_.Now());  // refresh starts, stalls
  EXPECT_EQ(fetch_->pending(), 1);
  clock_.AdvanceBy(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  clock_.AdvanceBy(absl::Seconds(1));
  auto waiting = Start();
  EXPECT_TRUE(Pending(waiting));  // waits for the refresh instead
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA2", expiration + absl::Hours(1))));
  ASSERT_TRUE(waiting->ok());
  EXPECT_EQ((*waiting)->access_key_id, "ASIA2");
}

TEST_F(CacheTest, FailedRefreshKeepsValidCredentialsAndTriesAgain) {
  absl::Time expiration = clock_.Now() + absl::Hours(1);
  cache_->Prefetch();
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", expiration)));
  clock_.AdvanceBy(expiration - absl::Minutes(6) - clock_.Now());
  ASSERT_TRUE(fetch_->Answer(absl::UnavailableError("STS is down")));
  EXPECT_EQ(fetched_failed_, 1);
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  EXPECT_TRUE(cache_->Ready().ok());
  // Not hammered: the next try is the retry interval later.
  EXPECT_EQ(cache_->fetches(), 2);
  clock_.AdvanceBy(absl::Seconds(9));
  EXPECT_EQ(KeyIdNow(), "ASIA1");
  EXPECT_EQ(cache_->fetches(), 2);
  clock_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(cache_->fetches(), 3);
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA2", expiration + absl::Hours(1))));
  EXPECT_EQ(KeyIdNow(), "ASIA2");
}

TEST_F(CacheTest, FailureWithoutCredentialsIsAnsweredThenRepeatedBriefly) {
  auto first = Start();
  absl::Status denied =
      adapters::errors::WithErrorInfo(absl::PermissionDeniedError("not allowed"),
                                      "UPSTREAM_PERMISSION_DENIED", "sts.amazonaws.com");
  ASSERT_TRUE(fetch_->Answer(denied));
  EXPECT_EQ(first->status().code(), absl::StatusCode::kPermissionDenied);
  // Within the back-off the same error comes back without a fetch.
  EXPECT_THAT(KeyIdNow(), HasSubstr("not allowed"));
  EXPECT_EQ(cache_->fetches(), 1);
  EXPECT_EQ(cache_->Ready().code(), absl::StatusCode::kPermissionDenied);
  clock_.AdvanceBy(absl::Seconds(1));
  auto second = Start();
  EXPECT_EQ(cache_->fetches(), 2);
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", clock_.Now() + absl::Hours(1))));
  EXPECT_TRUE(second->ok());
  EXPECT_TRUE(cache_->Ready().ok());
}

TEST_F(CacheTest, TransientFailureDoesNotFailADryRun) {
  auto first = Start();
  absl::Status down = absl::UnavailableError("STS is down");
  adapters::errors::SetRetryClass(down, adapters::errors::RetryClass::kTransient);
  ASSERT_TRUE(fetch_->Answer(down));
  EXPECT_TRUE(cache_->Ready().ok());
}

TEST_F(CacheTest, WaitersLeaveAtTheirDeadlineOrCancellation) {
  auto short_wait = Start(absl::Seconds(2));
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  auto cancelled = Start(absl::Seconds(30), cancellation);
  auto patient = Start(absl::Seconds(30));
  cancellation->Cancel();
  EXPECT_EQ(cancelled->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ReasonOf(cancelled->status()), "CANCELLED");
  clock_.AdvanceBy(absl::Seconds(2));
  EXPECT_EQ(short_wait->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(short_wait->status().message(), HasSubstr("waiting for AWS credentials"));
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(short_wait->status()));
  EXPECT_TRUE(Pending(patient));
  // The fetch goes on for the others.
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", clock_.Now() + absl::Hours(1))));
  EXPECT_TRUE(patient->ok());
  EXPECT_EQ(short_wait->status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(CacheTest, AFetchThatNeverEndsIsAbandonedAtItsDeadline) {
  auto waiting = Start(absl::Minutes(5));
  clock_.AdvanceBy(absl::Seconds(31));
  EXPECT_THAT(waiting->status().message(), HasSubstr("did not finish in time"));
  // A late answer of the abandoned fetch is ignored; a new one starts.
  clock_.AdvanceBy(absl::Seconds(1));
  auto next = Start();
  EXPECT_EQ(cache_->fetches(), 2);
  ASSERT_TRUE(fetch_->Answer(Temporary("LATE", clock_.Now() + absl::Hours(1))));
  EXPECT_TRUE(Pending(next));
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA2", clock_.Now() + absl::Hours(1))));
  EXPECT_EQ((*next)->access_key_id, "ASIA2");
}

TEST_F(CacheTest, AlreadyExpiredCredentialsAreAnError) {
  auto waiting = Start();
  ASSERT_TRUE(fetch_->Answer(Temporary("OLD", clock_.Now())));
  EXPECT_THAT(waiting->status().message(), HasSubstr("too soon to use"));
  EXPECT_EQ(ReasonOf(waiting->status()), "GATEWAY_CREDENTIALS_MISSING");
}

TEST_F(CacheTest, MinutesLongCredentialsKeepAQuarterOfTheirLifeAsMargin) {
  auto waiting = Start();
  ASSERT_TRUE(fetch_->Answer(Temporary("SHORT", clock_.Now() + absl::Seconds(40))));
  ASSERT_TRUE(waiting->ok()) << waiting->status();
  clock_.AdvanceBy(absl::Seconds(29));
  EXPECT_EQ(KeyIdNow(), "SHORT");
  clock_.AdvanceBy(absl::Seconds(1));  // the last 10 s: no longer handed out
  EXPECT_TRUE(Pending(Start()));
}

TEST_F(CacheTest, ANewPlanKeyOrAnInvalidationFetchesAnew) {
  cache_->Prefetch();
  ASSERT_TRUE(fetch_->Answer(Temporary("ASIA1", clock_.Now() + absl::Hours(1))));
  // The configuration now names another role.
  auto other = std::make_shared<FakeFetch>("role B");
  planner_->Set(AwsCredentialPlan{std::nullopt, other});
  auto waiting = Start();
  EXPECT_TRUE(Pending(waiting));
  ASSERT_TRUE(other->Answer(Temporary("ASIAB", clock_.Now() + absl::Hours(1))));
  EXPECT_EQ((*waiting)->access_key_id, "ASIAB");
  cache_->Invalidate("someone-else");
  EXPECT_EQ(KeyIdNow(), "ASIAB");
  cache_->Invalidate("ASIAB");
  auto after = Start();
  EXPECT_TRUE(Pending(after));
  ASSERT_TRUE(other->Answer(Temporary("ASIAB2", clock_.Now() + absl::Hours(1))));
  EXPECT_EQ((*after)->access_key_id, "ASIAB2");
}

TEST_F(CacheTest, DestroyedWithWaitersAnswersThem) {
  auto waiting = Start();
  cache_.reset();
  EXPECT_EQ(waiting->status().code(), absl::StatusCode::kCancelled);
  // Its fetch may still answer: nothing happens.
  EXPECT_TRUE(fetch_->Answer(Temporary("ASIA1", clock_.Now() + absl::Hours(1))));
}

TEST_F(CacheTest, ThreadsRacingTheFetch) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  absl::Mutex mu;
  int ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        cache_->Get(absl::InfiniteFuture(), nullptr, [&](absl::StatusOr<AwsCredentials> r) {
          absl::MutexLock lock(&mu);
          ok += r.ok();
        });
      }
    });
  }
  std::thread answerer([&] {
    while (!fetch_->Answer(Temporary("ASIA1", absl::InfiniteFuture() - absl::Hours(1)))) {
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  answerer.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(ok, kThreads * kCalls);
  EXPECT_EQ(cache_->fetches(), 1);
}

}  // namespace
}  // namespace linkgateway::adapters::auth
