#include "adapters/transport/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <climits>
#include <atomic>
#include <cstdint>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/async/cancellation.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::transport {
namespace {

void EnsureCurlGlobalInit() {
  static bool const initialized = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialized;
}

// The URL's host, for error domains and messages (libcurl's URL parser).
std::string HostOf(std::string const& url) {
  std::string host = "upstream";
  CURLU* parsed = curl_url();
  char* part = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host = part;
  }
  curl_free(part);
  curl_url_cleanup(parsed);
  return host;
}

adapters::errors::TransportFailure Classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return adapters::errors::TransportFailure::kResolve;
    case CURLE_COULDNT_CONNECT:
      return adapters::errors::TransportFailure::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
      return adapters::errors::TransportFailure::kTlsHandshake;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return adapters::errors::TransportFailure::kTlsVerification;
    case CURLE_SEND_ERROR:
      return adapters::errors::TransportFailure::kSend;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return adapters::errors::TransportFailure::kReceive;
    case CURLE_FILESIZE_EXCEEDED:
      return adapters::errors::TransportFailure::kResponseTooLarge;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return adapters::errors::TransportFailure::kBadRequest;
    default:
      return adapters::errors::TransportFailure::kOther;
  }
}

}  // namespace

class CurlTransport::Loop {
 public:
  explicit Loop(CurlTransportOptions options);
  ~Loop();

  void Send(HttpRequest request, std::shared_ptr<adapters::async::Cancellation> cancellation,
            Done<HttpResponse> done);
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn);
  std::int64_t connections_opened() const { return connections_opened_.load(); }

 private:
  struct Transfer {
    std::uint64_t id = 0;
    HttpRequest request;
    std::shared_ptr<adapters::async::Cancellation> cancellation;
    adapters::async::Cancellation::Id cancellation_id = 0;
    Done<HttpResponse> done;
    HttpResponse response;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    bool too_large = false;
    int sends = 0;
    bool resend_refused = false;
    std::int64_t max_bytes = 0;
    char error[CURL_ERROR_SIZE] = {};
  };

  struct Timer {
    absl::Time when;
    std::uint64_t sequence;
    // mutable: std::priority_queue only hands out const references.
    mutable absl::AnyInvocable<void() &&> fn;
    bool operator>(Timer const& other) const {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };

  static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user);
  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user);
  static int OnPrereq(void* user, char*, char*, int, int);

  void Run();
  void Start(std::unique_ptr<Transfer> transfer);
  CURL* TakeEasy();
  void ReleaseEasy(CURL* easy);
  void Configure(Transfer& transfer);
  void OnDone(CURL* easy, CURLcode code);
  // Completes an active transfer without waiting for libcurl.
  void Abort(std::uint64_t id, adapters::errors::TransportFailure failure,
             absl::string_view detail);
  std::unique_ptr<Transfer> Detach(std::uint64_t id);
  void Fail(std::unique_ptr<Transfer> transfer, adapters::errors::TransportFailure failure,
            absl::string_view detail);
  void Complete(std::unique_ptr<Transfer> transfer, absl::StatusOr<HttpResponse> result);

  CurlTransportOptions const options_;

  // Wakes the loop unless a wake-up is already on its way (one per drain).
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::unique_ptr<Transfer>> incoming_ ABSL_GUARDED_BY(mu_);
  std::vector<std::uint64_t> cancelled_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_ ABSL_GUARDED_BY(mu_);

  // Used on the loop thread only.
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  absl::flat_hash_map<std::uint64_t, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_easies_;

  std::atomic<std::int64_t> connections_opened_{0};
  std::thread thread_;
};

CurlTransport::Loop::Loop(CurlTransportOptions options) : options_(std::move(options)) {
  EnsureCurlGlobalInit();
  multi_ = curl_multi_init();
  // Idle connections kept for reuse hold descriptors too: never more than
  // the total allowed.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    options_.max_idle_connections > 0
                        ? std::min(options_.max_idle_connections, options_.max_total_connections)
                        : options_.max_total_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_total_connections);
  // Handles in one multi already share connections and DNS; the share handle
  // adds TLS sessions, so a new connection resumes instead of a full handshake.
  share_ = curl_share_init();
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  thread_ = std::thread([this] { Run(); });
}

CurlTransport::Loop::~Loop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
  curl_share_cleanup(share_);
}

void CurlTransport::Loop::Send(HttpRequest request,
                               std::shared_ptr<adapters::async::Cancellation> cancellation,
                               Done<HttpResponse> done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->cancellation = std::move(cancellation);
  transfer->done = std::move(done);
  transfer->max_bytes = options_.max_response_bytes;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      transfer->id = next_id_++;
      incoming_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {  // stopping: the loop will not take it
    return Fail(std::move(transfer), adapters::errors::TransportFailure::kCancelled,
                "the gateway is shutting down");
  }
  Wake();
}

void CurlTransport::Loop::Wake() {
  {
    absl::MutexLock lock(&mu_);
    if (wake_pending_) return;
    wake_pending_ = true;
  }
  curl_multi_wakeup(multi_);
}

void CurlTransport::Loop::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  {
    absl::MutexLock lock(&mu_);
    timers_.push(Timer{when, next_id_++, std::move(fn)});
  }
  Wake();
}

void CurlTransport::Loop::Run() {
  for (;;) {
    std::vector<std::unique_ptr<Transfer>> starting;
    std::vector<std::uint64_t> cancelled;
    std::vector<absl::AnyInvocable<void() &&>> due;
    absl::Time next_timer = absl::InfiniteFuture();
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      wake_pending_ = false;  // what is queued now is taken now
      starting.swap(incoming_);
      cancelled.swap(cancelled_);
      absl::Time now = absl::Now();
      while (!timers_.empty() && (timers_.top().when <= now || stopping_)) {
        due.push_back(std::move(timers_.top().fn));
        timers_.pop();
      }
      if (!timers_.empty()) next_timer = timers_.top().when;
      stopping = stopping_;
    }
    for (auto& transfer : starting) Start(std::move(transfer));
    for (auto id : cancelled)
      Abort(id, adapters::errors::TransportFailure::kCancelled, "the call was cancelled");
    for (auto& fn : due) std::move(fn)();
    if (stopping) break;

    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg == CURLMSG_DONE) OnDone(message->easy_handle, message->data.result);
    }

    long curl_timeout_ms = -1;
    curl_multi_timeout(multi_, &curl_timeout_ms);
    long wait_ms = 1000;
    if (curl_timeout_ms >= 0) wait_ms = std::min(wait_ms, curl_timeout_ms);
    if (next_timer != absl::InfiniteFuture()) {
      auto until = absl::ToInt64Milliseconds(absl::Ceil(next_timer - absl::Now(),
                                                        absl::Milliseconds(1)));
      wait_ms = std::min<long>(wait_ms, std::max<std::int64_t>(until, 0));
    }
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }

  // Shutting down: nothing may be left without an answer. Callbacks may add
  // work while this drains (a retry timer, a new send); drain until quiet.
  for (;;) {
    std::vector<std::uint64_t> ids;
    for (auto const& [id, transfer] : active_) ids.push_back(id);
    for (auto id : ids)
      Abort(id, adapters::errors::TransportFailure::kCancelled, "the gateway is shutting down");
    std::vector<std::unique_ptr<Transfer>> late;
    std::vector<absl::AnyInvocable<void() &&>> timers;
    {
      absl::MutexLock lock(&mu_);
      late.swap(incoming_);
      while (!timers_.empty()) {
        timers.push_back(std::move(timers_.top().fn));
        timers_.pop();
      }
    }
    if (late.empty() && timers.empty() && active_.empty()) break;
    for (auto& transfer : late) {
      Fail(std::move(transfer), adapters::errors::TransportFailure::kCancelled,
           "the gateway is shutting down");
    }
    for (auto& fn : timers) std::move(fn)();
  }
}

CURL* CurlTransport::Loop::TakeEasy() {
  if (idle_easies_.empty()) return curl_easy_init();
  CURL* easy = idle_easies_.back();
  idle_easies_.pop_back();
  curl_easy_reset(easy);
  return easy;
}

void CurlTransport::Loop::ReleaseEasy(CURL* easy) {
  // Easy handles keep their buffers; reusing them saves allocations per call.
  if (idle_easies_.size() < 1024) {
    idle_easies_.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
}

void CurlTransport::Loop::Start(std::unique_ptr<Transfer> transfer) {
  absl::Duration remaining = transfer->request.deadline - absl::Now();
  if (remaining <= absl::ZeroDuration()) {
    return Fail(std::move(transfer), adapters::errors::TransportFailure::kDeadline,
                "the caller's deadline passed before the upstream call");
  }
  if (transfer->cancellation && transfer->cancellation->IsCancelled()) {
    return Fail(std::move(transfer), adapters::errors::TransportFailure::kCancelled,
                "the call was cancelled");
  }
  transfer->easy = TakeEasy();
  Configure(*transfer);
  std::uint64_t id = transfer->id;
  auto cancellation = transfer->cancellation;
  active_.emplace(id, std::move(transfer));
  curl_multi_add_handle(multi_, active_[id]->easy);
  if (cancellation) {
    active_[id]->cancellation_id = cancellation->OnCancel([this, id] {
      {
        absl::MutexLock lock(&mu_);
        cancelled_.push_back(id);
      }
      Wake();
    });
  }
}

void CurlTransport::Loop::Configure(Transfer& t) {
  CURL* easy = t.easy;
  HttpRequest const& request = t.request;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_SHARE, share_);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  bool plain_http = options_.allow_plain_http || request.credential_endpoint;
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, plain_http ? "http,https" : "https");
  // A proxy would answer with its own host's credentials, or none.
  if (request.credential_endpoint) curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  // The caller's deadline bounds the whole exchange.
  auto remaining_ms = absl::ToInt64Milliseconds(
      absl::Ceil(request.deadline - absl::Now(), absl::Milliseconds(1)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(
                                                 1, std::min<std::int64_t>(remaining_ms,
                                                                           LONG_MAX))));
  // Rejects early when Content-Length already says it is too large.
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Loop::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Loop::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Loop::OnPrereq);
  curl_easy_setopt(easy, CURLOPT_PREREQDATA, &t);

  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST") {
    // A known length keeps the connection reusable after an error status.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  }

  for (auto const& [name, value] : request.headers) {
    t.headers = curl_slist_append(t.headers, absl::StrCat(name, ": ", value).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
}

std::size_t CurlTransport::Loop::OnBody(char* data, std::size_t size, std::size_t count,
                                        void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  if (static_cast<std::int64_t>(t->response.body.size() + n) > t->max_bytes) {
    t->too_large = true;
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t CurlTransport::Loop::OnHeader(char* data, std::size_t size, std::size_t count,
                                          void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    t->response.headers.clear();  // a new response (e.g. after 100 Continue)
    return n;
  }
  auto colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name(absl::StripAsciiWhitespace(line.substr(0, colon)));
  absl::AsciiStrToLower(&name);
  t->response.headers.emplace_back(
      std::move(name), std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

// Runs right before the request goes out, once per send.
int CurlTransport::Loop::OnPrereq(void* user, char*, char*, int, int) {
  auto* t = static_cast<Transfer*>(user);
  // libcurl silently sends a request again when a reused connection dies
  // before any answer; the first may have been applied. One Send is one
  // request on the wire: repeating is the retry policy's decision, which
  // knows whether the operation may be repeated and counts attempts.
  if (t->request.trace) t->request.trace->sends.fetch_add(1, std::memory_order_relaxed);
  if (++t->sends > 1) {
    t->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

std::unique_ptr<CurlTransport::Loop::Transfer> CurlTransport::Loop::Detach(std::uint64_t id) {
  auto it = active_.find(id);
  if (it == active_.end()) return nullptr;
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_, transfer->easy);
  long connects = 0;
  curl_easy_getinfo(transfer->easy, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += connects;
  ReleaseEasy(transfer->easy);
  transfer->easy = nullptr;
  curl_slist_free_all(transfer->headers);
  transfer->headers = nullptr;
  return transfer;
}

void CurlTransport::Loop::OnDone(CURL* easy, CURLcode code) {
  Transfer* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
  long http_status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);
  curl_off_t connect_us = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
  std::string detail = absl::StrCat(curl_easy_strerror(code),
                                    raw->error[0] != '\0' ? ": " : "", raw->error);
  std::unique_ptr<Transfer> transfer = Detach(raw->id);
  if (transfer == nullptr) return;
  if (code == CURLE_OK) {
    transfer->response.status = static_cast<int>(http_status);
    if (transfer->request.trace) {
      transfer->request.trace->last_http_status.store(transfer->response.status,
                                                      std::memory_order_relaxed);
    }
    HttpResponse response = std::move(transfer->response);
    return Complete(std::move(transfer), std::move(response));
  }
  adapters::errors::TransportFailure failure = Classify(code);
  if (transfer->resend_refused) {
    failure = adapters::errors::TransportFailure::kReceive;
    detail = "the connection closed before an answer; the request may have been applied and "
             "was not sent again";
  } else if (code == CURLE_WRITE_ERROR && transfer->too_large) {
    failure = adapters::errors::TransportFailure::kResponseTooLarge;
    detail = absl::StrCat("the response body exceeds ", transfer->max_bytes, " bytes");
  } else if (code == CURLE_FILESIZE_EXCEEDED) {
    detail = absl::StrCat("the response body exceeds ", transfer->max_bytes, " bytes");
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    // The transfer's timeout is the caller's deadline; only the connect
    // timeout can end it earlier.
    bool deadline_passed = absl::Now() + absl::Milliseconds(5) >= transfer->request.deadline;
    failure = deadline_passed   ? adapters::errors::TransportFailure::kDeadline
              : connect_us == 0 ? adapters::errors::TransportFailure::kConnectTimeout
                                : adapters::errors::TransportFailure::kTimeout;
  }
  Fail(std::move(transfer), failure, detail);
}

void CurlTransport::Loop::Abort(std::uint64_t id, adapters::errors::TransportFailure failure,
                                absl::string_view detail) {
  std::unique_ptr<Transfer> transfer = Detach(id);
  if (transfer != nullptr) Fail(std::move(transfer), failure, detail);
}

void CurlTransport::Loop::Fail(std::unique_ptr<Transfer> transfer,
                               adapters::errors::TransportFailure failure,
                               absl::string_view detail) {
  // The host is only needed for the error, so it is parsed only then.
  absl::Status status =
      adapters::errors::MapTransportFailure(failure, HostOf(transfer->request.url), detail);
  Complete(std::move(transfer), std::move(status));
}

void CurlTransport::Loop::Complete(std::unique_ptr<Transfer> transfer,
                                   absl::StatusOr<HttpResponse> result) {
  if (transfer->cancellation && transfer->cancellation_id != 0) {
    transfer->cancellation->Remove(transfer->cancellation_id);
  }
  std::move(transfer->done)(std::move(result));
}

CurlTransport::CurlTransport(CurlTransportOptions options)
    : loop_(std::make_unique<Loop>(std::move(options))) {}

CurlTransport::~CurlTransport() = default;

void CurlTransport::Send(HttpRequest request,
                         std::shared_ptr<adapters::async::Cancellation> cancellation,
                         Done<HttpResponse> done) {
  loop_->Send(std::move(request), std::move(cancellation), std::move(done));
}

absl::Time CurlTransport::Now() { return absl::Now(); }

void CurlTransport::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  loop_->RunAt(when, std::move(fn));
}

std::int64_t CurlTransport::connections_opened() const { return loop_->connections_opened(); }

}  // namespace linkgateway::adapters::transport
