#include "adapters/auth/aws_credentials_cache.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::auth {
namespace {

double RandomFraction() {
  absl::BitGen gen;
  return absl::Uniform(gen, 0.0, 1.0);
}

}  // namespace

std::shared_ptr<AwsCredentialsCache> AwsCredentialsCache::Create(
    std::unique_ptr<AwsCredentialPlanner> planner, adapters::async::Scheduler& clock,
    AwsCredentialsCacheOptions options) {
  if (!options.random) options.random = &RandomFraction;
  return std::shared_ptr<AwsCredentialsCache>(
      new AwsCredentialsCache(std::move(planner), clock, std::move(options)));
}

AwsCredentialsCache::AwsCredentialsCache(std::unique_ptr<AwsCredentialPlanner> planner,
                                         adapters::async::Scheduler& clock,
                                         AwsCredentialsCacheOptions options)
    : planner_(std::move(planner)),
      clock_(clock),
      options_(std::move(options)),
      waiters_(SharedWaiters<AwsCredentials>::Create(clock, "AWS credentials")) {}

bool AwsCredentialsCache::Usable(absl::Time now) const {
  return credentials_.has_value() && now < use_until_;
}

void AwsCredentialsCache::Get(absl::Time deadline,
                              std::shared_ptr<adapters::async::Cancellation> cancellation,
                              adapters::transport::Done<AwsCredentials> done) {
  auto plan = planner_->Plan();
  if (!plan.ok()) return std::move(done)(plan.status());
  if (plan->ready) return std::move(done)(*std::move(plan->ready));
  std::string const key = plan->fetch->Key();

  std::optional<AwsCredentials> at_hand;
  absl::Status failed;
  std::optional<std::uint64_t> waiter;
  bool start = false;
  std::uint64_t fetch_id = 0;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = clock_.Now();
    if (key_ == key && Usable(now)) {
      at_hand = credentials_;
      // In the refresh window: refresh in the background meanwhile.
      start = !fetching_ && now >= refresh_at_ && now >= retry_after_;
    } else if (!fetching_ && !last_error_.ok() && last_error_key_ == key && now < retry_after_) {
      failed = last_error_;
    } else {
      waiter = waiters_->Reserve(std::move(done));
      start = !fetching_;
    }
    if (start) fetch_id = BeginFetch();
  }
  if (at_hand) std::move(done)(*std::move(at_hand));
  if (!failed.ok()) return std::move(done)(failed);
  if (waiter) waiters_->Watch(*waiter, deadline, std::move(cancellation));
  if (start) StartFetch(fetch_id, std::move(plan->fetch));
}

std::uint64_t AwsCredentialsCache::BeginFetch() {
  fetching_ = true;
  return ++fetches_;
}

void AwsCredentialsCache::StartFetch(std::uint64_t id, std::shared_ptr<AwsCredentialFetch> fetch) {
  std::string key = fetch->Key();
  std::weak_ptr<AwsCredentialsCache> weak = weak_from_this();
  absl::Time deadline = clock_.Now() + options_.fetch_timeout;
  // A fetch that never answers (a bug) must not block every later one.
  clock_.RunAt(deadline + absl::Seconds(1), [weak, key, id] {
    if (auto self = weak.lock()) {
      self->Settle(id, key,
                   AwsCredentialsMissing(absl::StrCat("fetching AWS credentials (", key,
                                                      ") did not finish in time")));
    }
  });
  fetch->Fetch(deadline, [weak, key, id, fetch](absl::StatusOr<AwsCredentials> result) {
    if (auto self = weak.lock()) self->Settle(id, key, std::move(result));
  });
}

void AwsCredentialsCache::Settle(std::uint64_t id, std::string const& key,
                                 absl::StatusOr<AwsCredentials> result) {
  absl::Time next_timer = absl::InfiniteFuture();
  {
    absl::MutexLock lock(&mu_);
    if (!fetching_ || id != fetches_) return;  // stale
    fetching_ = false;
    absl::Time now = clock_.Now();
    // The margin shrinks for credentials that live only minutes.
    absl::Time use_until =
        result.ok()
            ? result->expiration - std::min(options_.expiry_margin, (result->expiration - now) / 4)
            : absl::InfinitePast();
    if (result.ok() && use_until <= now) {
      result = AwsCredentialsMissing(
          absl::StrCat("the AWS credentials fetched (", key, ") expire at ",
                       absl::FormatTime(absl::RFC3339_sec, result->expiration, absl::UTCTimeZone()),
                       ", too soon to use"));
    }
    if (result.ok()) {
      credentials_ = *result;
      use_until_ = use_until;
      key_ = key;
      refresh_at_ = RefreshTime(now, result->expiration);
      last_error_ = absl::OkStatus();
      retry_after_ = absl::InfinitePast();
      next_timer = refresh_at_;
    } else {
      last_error_ = result.status();
      last_error_key_ = key;
      retry_after_ = now + options_.failure_backoff;
      // Valid credentials stay in use; the background refresh tries again.
      if (key_ == key && Usable(now)) {
        next_timer = std::min(now + options_.retry_interval, use_until_);
        retry_after_ = next_timer;
      }
    }
  }
  if (options_.on_fetch) options_.on_fetch(result.ok());
  if (next_timer != absl::InfiniteFuture()) {
    std::weak_ptr<AwsCredentialsCache> weak = weak_from_this();
    clock_.RunAt(next_timer, [weak] {
      if (auto self = weak.lock()) self->RefreshInBackground();
    });
  }
  waiters_->Settle(result);
}

absl::Time AwsCredentialsCache::RefreshTime(absl::Time now, absl::Time expiration) {
  if (expiration == absl::InfiniteFuture()) return absl::InfiniteFuture();
  absl::Time at = expiration - options_.refresh_ahead - options_.refresh_jitter * options_.random();
  // Short-lived credentials are used for half their life before a refresh,
  // so they are not fetched again at once.
  return std::max(at, now + (expiration - now) / 2);
}

void AwsCredentialsCache::RefreshInBackground() {
  auto plan = planner_->Plan();
  if (!plan.ok() || plan->fetch == nullptr) return;
  std::string const key = plan->fetch->Key();
  std::uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = clock_.Now();
    if (fetching_ || key_ != key || !credentials_ || now < refresh_at_ || now < retry_after_) {
      return;
    }
    id = BeginFetch();
  }
  StartFetch(id, std::move(plan->fetch));
}

void AwsCredentialsCache::Invalidate(std::string const& access_key_id) {
  absl::MutexLock lock(&mu_);
  if (credentials_ && credentials_->access_key_id == access_key_id) credentials_.reset();
}

absl::Status AwsCredentialsCache::Ready() {
  auto plan = planner_->Plan();
  if (!plan.ok()) return plan.status();
  if (plan->ready) return absl::OkStatus();
  std::string const key = plan->fetch->Key();
  absl::MutexLock lock(&mu_);
  if (key_ == key && Usable(clock_.Now())) return absl::OkStatus();
  if (!last_error_.ok() && last_error_key_ == key) {
    adapters::errors::RetryClass retry = adapters::errors::RetryClassOf(last_error_);
    if (retry != adapters::errors::RetryClass::kTransient &&
        retry != adapters::errors::RetryClass::kThrottle)
      return last_error_;
  }
  return absl::OkStatus();
}

void AwsCredentialsCache::Prefetch() {
  Get(absl::InfiniteFuture(), nullptr, [](absl::StatusOr<AwsCredentials>) {});
}

int AwsCredentialsCache::fetches() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(fetches_);
}

}  // namespace linkgateway::adapters::auth
