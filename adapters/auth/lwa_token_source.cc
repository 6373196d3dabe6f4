#include "adapters/auth/lwa_token_source.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/auth/lwa_errors.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/transport/json.h"
#include "adapters/transport/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::adapters::auth {
LwaTokenSource::LwaTokenSource(LwaOptions options, adapters::transport::HttpTransport& transport,
                               adapters::async::Scheduler& clock)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      waiters_(SharedWaiters<std::string>::Create(clock, "a Login with Amazon token")) {}

// The refresh is shared by every waiter, so it runs on its own timeout; each
// waiter leaves at its own deadline or cancellation.
void LwaTokenSource::GetToken(absl::Time deadline,
                              std::shared_ptr<adapters::async::Cancellation> cancellation,
                              adapters::transport::Done<std::string> done) {
  std::string token;
  bool refresh = false;
  std::optional<std::uint64_t> waiter;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = clock_.Now();
    if (!token_.empty() && now < expires_at_ - options_.expiry_margin) {
      token = token_;
    } else {
      waiter = waiters_->Reserve(std::move(done));
    }
    // Refresh if none runs and the token is missing or in its last minutes.
    if (!refreshing_ && (token.empty() || now >= expires_at_ - options_.refresh_ahead)) {
      refreshing_ = refresh = true;
      ++requests_sent_;
    }
  }
  if (refresh) Refresh();
  if (!token.empty()) return std::move(done)(std::move(token));
  waiters_->Watch(*waiter, deadline, std::move(cancellation));
}

absl::Status LwaTokenSource::CredentialsAccepted() const {
  absl::MutexLock lock(&mu_);
  return credentials_rejected_;
}

void LwaTokenSource::Prefetch() {
  GetToken(absl::InfiniteFuture(), nullptr, [](absl::StatusOr<std::string>) {});
}

void LwaTokenSource::Invalidate(std::string const& token) {
  {
    absl::MutexLock lock(&mu_);
    if (token != token_) return;  // already replaced
    // The replacement of a refused token, refused too moments later: not the
    // token's fault, and another would cost a token request each time.
    if (is_replacement_ && clock_.Now() - obtained_at_ < options_.keep_refused_token_for) return;
    token_.clear();
    replacing_refused_ = true;
  }
  if (options_.cache != nullptr) options_.cache->Invalidate(token);
}

int LwaTokenSource::requests_sent() const {
  absl::MutexLock lock(&mu_);
  return requests_sent_;
}

void LwaTokenSource::Refresh() {
  if (options_.cache == nullptr) return Fetch(false);
  FromCache(0);
}

void LwaTokenSource::FromCache(int attempt) {
  options_.cache->Get([this, attempt](absl::StatusOr<std::optional<TokenCache::Cached>> got) {
    if (!got.ok()) {
      if (options_.on_cache_fallback) options_.on_cache_fallback();
      return Fetch(false);
    }
    absl::Time now = clock_.Now();
    std::optional<TokenCache::Cached> cached = *std::move(got);
    // Fresh enough that this replica would not refresh it: take it.
    if (cached && now < cached->expires_at - options_.refresh_ahead) {
      return Settle(cached->token, cached->expires_at - now);
    }
    absl::Duration lock_ttl = options_.request_timeout + absl::Seconds(2);
    options_.cache->Lock(lock_ttl, [this, attempt, cached, lock_ttl](absl::StatusOr<bool> locked) {
      if (!locked.ok()) {
        if (options_.on_cache_fallback) options_.on_cache_fallback();
        return Fetch(false);
      }
      if (*locked) return Fetch(true);
      absl::Time now = clock_.Now();
      // Another replica refreshes: a token still valid serves meanwhile.
      if (cached && now < cached->expires_at - options_.expiry_margin) {
        return Settle(cached->token, cached->expires_at - now);
      }
      // Wait for its token, for as long as its lock may last.
      if (attempt * options_.cache_poll_interval > lock_ttl) return Fetch(false);
      clock_.RunAt(now + options_.cache_poll_interval,
                   [this, attempt] { FromCache(attempt + 1); });
    });
  });
}

void LwaTokenSource::Fetch(bool shared) {
  std::vector<std::pair<std::string, std::string>> form;
  if (!options_.refresh_token.empty()) {
    form = {{"grant_type", "refresh_token"}, {"refresh_token", options_.refresh_token}};
  } else {
    form = {{"grant_type", "client_credentials"}, {"scope", options_.scope}};
  }
  form.emplace_back("client_id", options_.client_id.value());
  form.emplace_back("client_secret", options_.client_secret.value());

  adapters::transport::HttpRequest request;
  request.method = "POST";
  request.url = options_.token_endpoint;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
                     {"Accept", "application/json"}};
  request.body = adapters::transport::FormEncode(form);
  request.deadline = clock_.Now() + options_.request_timeout;
  transport_.Send(std::move(request), nullptr,
                  [this, shared](absl::StatusOr<adapters::transport::HttpResponse> response) {
                    OnResponse(std::move(response), shared);
                  });
}

void LwaTokenSource::OnResponse(absl::StatusOr<adapters::transport::HttpResponse> response,
                                bool shared) {
  absl::StatusOr<std::string> result;
  absl::Duration lifetime;
  if (!response.ok()) {
    result = adapters::errors::AttributeTo(LwaErrors(), response.status());
  } else {
    google::protobuf::Struct json;
    bool parsed = google::protobuf::util::JsonStringToMessage(response->body, &json).ok();
    std::string token =
        parsed ? adapters::transport::StringField(json.fields(), "access_token") : "";
    auto expires = parsed ? json.fields().find("expires_in") : json.fields().end();
    if (response->status == 200 && !token.empty() && expires != json.fields().end() &&
        expires->second.has_number_value()) {
      result = std::move(token);
      lifetime = absl::Seconds(expires->second.number_value());
    } else if (response->status == 200) {
      result = adapters::errors::MalformedResponse(
          LwaErrors(), "the token response has no access_token or expires_in");
    } else {
      adapters::errors::UpstreamError error =
          adapters::errors::ErrorFromResponse(LwaErrors(), *response, clock_.Now());
      error.vendor_code = adapters::transport::StringField(json.fields(), "error");
      error.message = adapters::transport::StringField(json.fields(), "error_description");
      if (error.request_id.empty())
        error.request_id = adapters::transport::StringField(json.fields(), "request_id");
      result = adapters::errors::MapUpstreamError(error);
    }
  }
  if (options_.on_fetch) options_.on_fetch(result.ok());
  // A token request never reaches the operation's upstream.
  if (!result.ok()) {
    absl::Status status = result.status();
    adapters::errors::MarkNotSent(status);
    result = status;
  }
  if (shared) {
    if (result.ok()) {
      absl::Time expires_at = clock_.Now() + lifetime;
      options_.cache->Put({*result, expires_at}, expires_at - options_.expiry_margin);
    } else {
      options_.cache->Unlock();
    }
  }
  Settle(std::move(result), lifetime);
}

void LwaTokenSource::Settle(absl::StatusOr<std::string> result, absl::Duration lifetime) {
  {
    absl::MutexLock lock(&mu_);
    if (result.ok()) {
      if (token_ != *result) {
        obtained_at_ = clock_.Now();
        is_replacement_ = std::exchange(replacing_refused_, false);
      }
      token_ = *result;
      expires_at_ = clock_.Now() + lifetime;
      credentials_rejected_ = absl::OkStatus();
    } else if (result.status().code() == absl::StatusCode::kUnauthenticated ||
               result.status().code() == absl::StatusCode::kPermissionDenied) {
      credentials_rejected_ = result.status();
    }
    refreshing_ = false;
  }
  waiters_->Settle(result);
}

}  // namespace linkgateway::adapters::auth
