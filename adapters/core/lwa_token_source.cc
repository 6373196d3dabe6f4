#include "adapters/core/lwa_token_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/json.h"
#include "adapters/core/status_mapping.h"
#include "adapters/core/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::core {

LwaTokenSource::LwaTokenSource(LwaOptions options, HttpTransport& transport, Scheduler& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock) {}

// The refresh is shared by every waiter, so it runs on its own timeout rather
// than the first caller's deadline.
void LwaTokenSource::GetToken(absl::Time /*deadline*/, Done<std::string> done) {
  std::string token;
  bool refresh = false;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = clock_.Now();
    if (!token_.empty() && now < expires_at_ - options_.expiry_margin) {
      token = token_;
    } else {
      waiters_.push_back(std::move(done));
    }
    // Refresh if none runs and the token is missing or in its last minutes.
    if (!refreshing_ && (token.empty() || now >= expires_at_ - options_.refresh_ahead)) {
      refreshing_ = refresh = true;
      ++requests_sent_;
    }
  }
  if (refresh) Refresh();
  if (!token.empty()) std::move(done)(std::move(token));
}

void LwaTokenSource::Prefetch() {
  GetToken(absl::InfiniteFuture(), [](absl::StatusOr<std::string>) {});
}

void LwaTokenSource::Invalidate(std::string const& token) {
  absl::MutexLock lock(&mu_);
  if (token == token_) token_.clear();
}

int LwaTokenSource::requests_sent() const {
  absl::MutexLock lock(&mu_);
  return requests_sent_;
}

void LwaTokenSource::Refresh() {
  std::vector<std::pair<std::string, std::string>> form;
  if (!options_.refresh_token.empty()) {
    form = {{"grant_type", "refresh_token"}, {"refresh_token", options_.refresh_token}};
  } else {
    form = {{"grant_type", "client_credentials"}, {"scope", options_.scope}};
  }
  form.emplace_back("client_id", options_.client_id);
  form.emplace_back("client_secret", options_.client_secret);

  HttpRequest request;
  request.method = "POST";
  request.url = options_.token_endpoint;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
                     {"Accept", "application/json"}};
  request.body = FormEncode(form);
  request.deadline = absl::Now() + options_.request_timeout;
  transport_.Send(std::move(request), nullptr,
                  [this](absl::StatusOr<HttpResponse> response) { OnResponse(std::move(response)); });
}

void LwaTokenSource::OnResponse(absl::StatusOr<HttpResponse> response) {
  absl::StatusOr<std::string> result;
  absl::Duration lifetime;
  if (!response.ok()) {
    result = response.status();
  } else {
    google::protobuf::Struct json;
    bool parsed = google::protobuf::util::JsonStringToMessage(response->body, &json).ok();
    std::string token = parsed ? StringField(json.fields(), "access_token") : "";
    auto expires = parsed ? json.fields().find("expires_in") : json.fields().end();
    if (response->status == 200 && !token.empty() && expires != json.fields().end() &&
        expires->second.has_number_value()) {
      result = std::move(token);
      lifetime = absl::Seconds(expires->second.number_value());
    } else if (response->status == 200) {
      result = MapTransportFailure(TransportFailure::kMalformedResponse, Domain(Provider::kLoginWithAmazon),
                                   "the token response has no access_token or expires_in");
    } else {
      UpstreamError error;
      error.provider = Provider::kLoginWithAmazon;
      error.http_status = response->status;
      error.vendor_code = StringField(json.fields(), "error");
      error.message = StringField(json.fields(), "error_description");
      error.request_id = response->Header("x-amzn-requestid");
      if (error.request_id.empty()) error.request_id = StringField(json.fields(), "request_id");
      result = MapUpstreamError(error);
    }
  }
  // A token request never reaches the operation's upstream.
  if (!result.ok()) {
    absl::Status status = result.status();
    MarkNotSent(status);
    result = status;
  }

  std::vector<Done<std::string>> waiters;
  {
    absl::MutexLock lock(&mu_);
    if (result.ok()) {
      token_ = *result;
      expires_at_ = clock_.Now() + lifetime;
    }
    refreshing_ = false;
    waiters.swap(waiters_);
  }
  for (auto& waiter : waiters) std::move(waiter)(result);
}

}  // namespace linkgateway::core
