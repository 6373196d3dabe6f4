// Login with Amazon access tokens (POST /auth/o2/token, form-encoded):
// the refresh-token grant, or the client-credentials grant with a scope for
// grantless Selling Partner API operations.
//
// Tokens are cached until 60 s before `expires_in` runs out (as the official
// SP-API SDK does). When many calls need a token at once, one refresh serves
// them all; each waiting call still gives up at its own deadline or
// cancellation. A token in its last minutes is still handed out while a
// refresh runs in the background, so calls rarely wait for the token endpoint.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_LWA_TOKEN_SOURCE_H_
#define LINKGATEWAY_ADAPTERS_AUTH_LWA_TOKEN_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/access_token_source.h"
#include "adapters/auth/shared_waiters.h"
#include "adapters/auth/token_cache.h"
#include "adapters/transport/http.h"
#include "config/rotating_secret.h"

namespace linkgateway::adapters::auth {

// Login with Amazon's documented token endpoint.
inline constexpr char kDefaultLwaTokenEndpoint[] = "https://api.amazon.com/auth/o2/token";

struct LwaOptions {
  std::string token_endpoint = kDefaultLwaTokenEndpoint;
  // Taken anew for each token request, so rotated secret files are used
  // from the next fetch on.
  config::RotatingSecret client_id;
  config::RotatingSecret client_secret;
  // Set for the refresh-token grant ...
  std::string refresh_token;
  // ... or a scope for the client-credentials grant, e.g.
  // "sellingpartnerapi::notifications".
  std::string scope;
  // Stop using a token this long before it expires.
  absl::Duration expiry_margin = absl::Seconds(60);
  // Start a background refresh this long before the token expires.
  absl::Duration refresh_ahead = absl::Minutes(5);
  // Bound for one token request.
  absl::Duration request_timeout = absl::Seconds(10);
  // A token that replaced a refused one and is refused too, younger than
  // this, is kept (Invalidate): the refusal is about something else than the
  // token, and a new one would be refused as well. So a stream of refusals
  // costs at most one token request per this long.
  absl::Duration keep_refused_token_for = absl::Seconds(30);
  // Told the result of every token request (metrics); may be empty.
  std::function<void(bool ok)> on_fetch;
  // Shared with the other replicas (may be null, must outlive the source):
  // one token for all, fetched by one replica at a time.
  TokenCache* cache = nullptr;
  // Told each time the cache was unreachable and this replica fetched on
  // its own (metrics); may be empty.
  std::function<void()> on_cache_fallback;
  // While another replica refreshes: how often to look for its token.
  absl::Duration cache_poll_interval = absl::Milliseconds(200);
};

class LwaTokenSource final : public AccessTokenSource {
 public:
  // `transport` and `clock` must outlive this object.
  LwaTokenSource(LwaOptions options, adapters::transport::HttpTransport& transport,
                 adapters::async::Scheduler& clock);

  void GetToken(absl::Time deadline, std::shared_ptr<adapters::async::Cancellation> cancellation,
                adapters::transport::Done<std::string> done) override;
  void Invalidate(std::string const& token) override;
  absl::Status CredentialsAccepted() const override ABSL_LOCKS_EXCLUDED(mu_);

  // Fetches a token now (e.g. at start-up), so the first call does not wait.
  void Prefetch();

  // Token requests sent so far (for tests).
  int requests_sent() const;

 private:
  void Refresh();
  // Through the shared cache: its token, else the lock and a fetch, else
  // (another replica fetches) a look again shortly.
  void FromCache(int attempt);
  // Asks Login with Amazon; `shared`: the result goes to the cache.
  void Fetch(bool shared);
  void OnResponse(absl::StatusOr<adapters::transport::HttpResponse> response, bool shared);
  // Ends the refresh: keeps the token (valid for `lifetime`) and answers
  // every waiter.
  void Settle(absl::StatusOr<std::string> result, absl::Duration lifetime) ABSL_LOCKS_EXCLUDED(mu_);

  LwaOptions const options_;
  adapters::transport::HttpTransport& transport_;
  adapters::async::Scheduler& clock_;

  mutable absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time obtained_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The next token replaces a refused one / the current one did.
  bool replacing_refused_ ABSL_GUARDED_BY(mu_) = false;
  bool is_replacement_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time expires_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<SharedWaiters<std::string>> const waiters_;
  int requests_sent_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status credentials_rejected_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_LWA_TOKEN_SOURCE_H_
