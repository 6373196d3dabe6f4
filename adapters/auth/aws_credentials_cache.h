// Credentials from a planner (the chain, a web identity, a role to assume),
// cached and refreshed ahead of expiry.
//
// Every Get asks the planner what the configuration says now (environment
// and files, read again when they change): keys at hand are answered at
// once; a network fetch (STS, the container endpoint, IMDS) is cached under
// its key until shortly before expiry. Refreshes start a few minutes ahead,
// jittered so replicas do not all refresh together, in the background (a
// timer) or on the first call in the window; one refresh serves every
// concurrent caller, each of whom still leaves at its own deadline or
// cancellation. Credentials are never used in their last `expiry_margin`.
// A failed refresh leaves valid credentials in use and is tried again later;
// without valid credentials the failure is answered, and repeated at once to
// calls in the next `failure_backoff` instead of asking again.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CACHE_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CACHE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/auth/shared_waiters.h"

namespace linkgateway::adapters::auth {

// A network fetch of credentials, run by the cache one at a time.
class AwsCredentialFetch {
 public:
  virtual ~AwsCredentialFetch() = default;
  // What it fetches (no secret), e.g. "assume-role arn:... from profile base";
  // the cache fetches anew when the plan names another key.
  virtual std::string Key() const = 0;
  // `done` runs exactly once, on any thread; `deadline` bounds the fetch.
  virtual void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) = 0;
};

// What the configuration says now: credentials at hand, or a fetch.
struct AwsCredentialPlan {
  std::optional<AwsCredentials> ready;
  std::shared_ptr<AwsCredentialFetch> fetch;
};

class AwsCredentialPlanner {
 public:
  virtual ~AwsCredentialPlanner() = default;
  // Errors are statuses for the caller (AwsCredentialsMissing and the like).
  virtual absl::StatusOr<AwsCredentialPlan> Plan() = 0;
};

struct AwsCredentialsCacheOptions {
  // A refresh starts this long before expiry, plus up to `refresh_jitter`
  // at random; never before halfway through the credentials' lifetime, so
  // short-lived ones are not fetched again at once.
  absl::Duration refresh_ahead = absl::Minutes(5);
  absl::Duration refresh_jitter = absl::Minutes(2);
  // Credentials are not handed out in their last minute (in the last
  // quarter of their life, when that is shorter).
  absl::Duration expiry_margin = absl::Minutes(1);
  // Bound for one fetch (e.g. container credentials, then AssumeRole).
  absl::Duration fetch_timeout = absl::Seconds(30);
  // After a failed fetch: calls without valid credentials get its error at
  // once for this long; a background refresh tries again after
  // `retry_interval`.
  absl::Duration failure_backoff = absl::Seconds(1);
  absl::Duration retry_interval = absl::Seconds(10);
  // A number in [0, 1) (tests make it fixed); default: a random one.
  std::function<double()> random;
  // Told the result of every fetch (metrics); may be empty.
  std::function<void(bool ok)> on_fetch;
};

class AwsCredentialsCache final : public AwsCredentialsProvider,
                                  public std::enable_shared_from_this<AwsCredentialsCache> {
 public:
  // `clock` must outlive the cache.
  static std::shared_ptr<AwsCredentialsCache> Create(std::unique_ptr<AwsCredentialPlanner> planner,
                                                     adapters::async::Scheduler& clock,
                                                     AwsCredentialsCacheOptions options = {});

  void Get(absl::Time deadline, std::shared_ptr<adapters::async::Cancellation> cancellation,
           adapters::transport::Done<AwsCredentials> done) override;
  void Invalidate(std::string const& access_key_id) override;
  absl::Status Ready() override;

  // Resolves now (at start-up), so the first call does not wait.
  void Prefetch();

  // Fetches started so far (for tests).
  int fetches() const;

 private:
  AwsCredentialsCache(std::unique_ptr<AwsCredentialPlanner> planner,
                      adapters::async::Scheduler& clock, AwsCredentialsCacheOptions options);

  // Marks a fetch as running; returns its number.
  std::uint64_t BeginFetch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs fetch number `id`, with a watchdog at its deadline.
  void StartFetch(std::uint64_t id, std::shared_ptr<AwsCredentialFetch> fetch)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends fetch number `id` (a stale one is ignored) and answers the waiters.
  void Settle(std::uint64_t id, std::string const& key, absl::StatusOr<AwsCredentials> result)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A timer: refreshes in the background if still due.
  void RefreshInBackground() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time RefreshTime(absl::Time now, absl::Time expiration);
  bool Usable(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<AwsCredentialPlanner> const planner_;
  adapters::async::Scheduler& clock_;
  AwsCredentialsCacheOptions const options_;
  std::shared_ptr<SharedWaiters<AwsCredentials>> const waiters_;

  mutable absl::Mutex mu_;
  std::optional<AwsCredentials> credentials_ ABSL_GUARDED_BY(mu_);
  // Their expiration less the margin.
  absl::Time use_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string key_ ABSL_GUARDED_BY(mu_);
  absl::Time refresh_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  std::string last_error_key_ ABSL_GUARDED_BY(mu_);
  absl::Time retry_after_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::uint64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CACHE_H_
