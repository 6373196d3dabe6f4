#include "adapters/transport/curl_transport.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
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

// Each handle's receive buffer (libcurl's default is 16 KiB).
constexpr long kReceiveBufferBytes = 4096;

// Connection pools (multi handles) in each event loop, at most: enough that
// each holds a few dozen connections with a thousand calls in flight.
constexpr int kPoolsPerLoop = 16;
// Transfers a pool takes before the next one is used.
constexpr long kTransfersPerPool = 16;

// What an epoll event names: the loop's wake-up, or a socket and the pool
// (multi handle) it belongs to.
constexpr std::uint64_t kWakeEvent = ~std::uint64_t{0};
std::uint64_t EventOf(int pool, curl_socket_t socket) {
  return (static_cast<std::uint64_t>(pool) << 32) | static_cast<std::uint32_t>(socket);
}
int PoolOf(std::uint64_t event) { return static_cast<int>(event >> 32); }
int SocketOf(std::uint64_t event) { return static_cast<int>(event & 0xffffffffu); }

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

// The share handle of one loop's transfers, all its pools (DNS answers, TLS
// sessions). Never shared between loops: libcurl 7.88 hands OpenSSL's
// session objects to whichever connection resumes them, and OpenSSL does
// not make that safe across threads. The locks are the ones libcurl asks for.
class CurlTransport::Share {
 public:
  Share() : handle_(curl_share_init()) {
    curl_share_setopt(handle_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(handle_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(handle_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~Share() { curl_share_cleanup(handle_); }

  CURLSH* handle() const { return handle_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->locks_[Index(data)].Lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Share*>(user)->locks_[Index(data)].Unlock();
  }
  static int Index(curl_lock_data data) {
    return data >= 0 && data < CURL_LOCK_DATA_LAST ? static_cast<int>(data) : 0;
  }

  CURLSH* const handle_;
  absl::Mutex locks_[CURL_LOCK_DATA_LAST];
};

class CurlTransport::Loop {
 public:
  // A pool's share of the connection limits.
  struct Limits {
    long max_idle_connections;
    long max_connections_per_host;
    long max_total_connections;
  };

  // One pool for each entry of `pools`.
  Loop(CurlTransportOptions const& options, std::vector<Limits> const& pools, CURLSH* share,
       std::atomic<std::int64_t>& connections_opened);
  ~Loop();

  // Stop() asks the loop to answer what it holds and end; Join() waits
  // until it has. Calls sent after it ended fail at once, timers run at once.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  void Join();

  void Send(HttpRequest request, std::shared_ptr<adapters::async::Cancellation> cancellation,
            Done<HttpResponse> done);
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn);

  // The loop whose thread is calling, or null.
  static Loop* Current() { return current_; }

  // Transfers sent to this loop and not answered yet.
  int load() const { return load_.load(std::memory_order_relaxed); }

 private:
  struct Transfer {
    std::uint64_t id = 0;
    int pool = 0;  // the connection pool it runs on
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

  // One multi handle: its own connections (with its share of the limits)
  // and libcurl's timeout for them. libcurl 7.88 walks every connection of
  // a multi handle each time a transfer ends (curl_multi_remove_handle) and
  // the host's connections when one starts: several small pools keep those
  // walks short with thousands of calls in flight.
  struct Pool {
    int index = 0;
    Loop* loop = nullptr;
    CURLM* multi = nullptr;
    int transfers = 0;                             // running on it now
    int room = 0;  // transfers it takes before the next pool is used
    absl::Time curl_due = absl::InfiniteFuture();  // when libcurl wants its timeout run
  };

  static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user);
  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user);
  static int OnPrereq(void* user, char*, char*, int, int);
  // libcurl's socket and timer callbacks (curl_multi_socket_action).
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* user, void* assigned);
  static int OnTimer(CURLM* multi, long timeout_ms, void* user);

  void Run();
  // Waits in epoll up to `wait_ms` and hands libcurl what is ready.
  void Poll(int wait_ms);
  // Lets libcurl act on the pools' timeouts that are due.
  void RunCurlTimeouts();
  void ReadDone();
  void Start(std::unique_ptr<Transfer> transfer);
  CURL* TakeEasy();
  void ReleaseEasy(CURL* easy);
  void Configure(Transfer& transfer);
  void OnDone(CURL* easy, CURLcode code);
  // The pool a new transfer goes to: the first with room, so a few calls at
  // once share one pool's connections and its housekeeping (libcurl prunes
  // a pool's dead connections only when it starts a transfer there); once
  // all are that busy, the one with the fewest running.
  Pool& PoolForNext();
  // Completes an active transfer without waiting for libcurl.
  void Abort(std::uint64_t id, adapters::errors::TransportFailure failure,
             absl::string_view detail);
  std::unique_ptr<Transfer> Detach(std::uint64_t id);
  void Fail(std::unique_ptr<Transfer> transfer, adapters::errors::TransportFailure failure,
            absl::string_view detail);
  void Complete(std::unique_ptr<Transfer> transfer, absl::StatusOr<HttpResponse> result);

  // Wakes the loop unless a wake-up is already on its way (one per drain);
  // the loop's own thread only notes that there is more to do.
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  static thread_local Loop* current_;

  CurlTransportOptions const& options_;
  CURLSH* const share_;
  std::atomic<std::int64_t>& connections_opened_;
  std::atomic<int> load_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drained_ ABSL_GUARDED_BY(mu_) = false;  // the thread has ended
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::unique_ptr<Transfer>> incoming_ ABSL_GUARDED_BY(mu_);
  std::vector<std::uint64_t> cancelled_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_ ABSL_GUARDED_BY(mu_);

  // Used on the loop thread only.
  std::vector<std::unique_ptr<Pool>> pools_;
  int epoll_ = -1;
  int wake_fd_ = -1;                              // an eventfd other threads write to wake the loop
  bool more_ = false;                             // the loop's own thread queued work: do not sleep
  absl::flat_hash_map<std::uint64_t, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_easies_;

  std::thread thread_;
};

thread_local CurlTransport::Loop* CurlTransport::Loop::current_ = nullptr;

CurlTransport::Loop::Loop(CurlTransportOptions const& options, std::vector<Limits> const& pools,
                          CURLSH* share, std::atomic<std::int64_t>& connections_opened)
    : options_(options), share_(share), connections_opened_(connections_opened) {
  for (Limits const& limits : pools) {
    auto pool = std::make_unique<Pool>();
    pool->index = static_cast<int>(pools_.size());
    pool->loop = this;
    // No more than its connections allow, so a call does not wait in a pool
    // while another has a free connection.
    pool->room = static_cast<int>(std::min<long>(
        {kTransfersPerPool,
         limits.max_total_connections > 0 ? limits.max_total_connections : LONG_MAX,
         limits.max_connections_per_host > 0 ? limits.max_connections_per_host : LONG_MAX}));
    CURLM* multi = pool->multi = curl_multi_init();
    // Idle connections kept for reuse hold descriptors too: never more than
    // the total allowed.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                      limits.max_idle_connections > 0
                          ? std::min(limits.max_idle_connections, limits.max_total_connections)
                          : limits.max_total_connections);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, limits.max_connections_per_host);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, limits.max_total_connections);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Loop::OnSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, pool.get());
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Loop::OnTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, pool.get());
    pools_.push_back(std::move(pool));
  }
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeEvent;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { Run(); });
}

void CurlTransport::Loop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void CurlTransport::Loop::Join() {
  if (thread_.joinable()) thread_.join();
}

CurlTransport::Loop::~Loop() {
  Stop();
  Join();
  for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
  for (auto& pool : pools_) curl_multi_cleanup(pool->multi);
  close(wake_fd_);
  close(epoll_);
}

void CurlTransport::Loop::Send(HttpRequest request,
                               std::shared_ptr<adapters::async::Cancellation> cancellation,
                               Done<HttpResponse> done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->cancellation = std::move(cancellation);
  transfer->done = std::move(done);
  transfer->max_bytes = options_.max_response_bytes;
  load_.fetch_add(1, std::memory_order_relaxed);
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
  if (current_ == this) {
    more_ = true;  // seen before the loop sleeps again
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (wake_pending_) return;
    wake_pending_ = true;
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void CurlTransport::Loop::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (!drained_) {
      timers_.push(Timer{when, next_id_++, std::move(fn)});
      fn = nullptr;
    }
  }
  if (fn) return std::move(fn)();  // the loop has ended: nothing else would run it
  Wake();
}

int CurlTransport::Loop::OnSocket(CURL*, curl_socket_t socket, int what, void* user,
                                  void* assigned) {
  auto* pool = static_cast<Pool*>(user);
  Loop* loop = pool->loop;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  event.data.u64 = EventOf(pool->index, socket);
  if (assigned == nullptr) {
    // A socket libcurl has not named before: watched from now on.
    curl_multi_assign(pool->multi, socket, pool);
    if (epoll_ctl(loop->epoll_, EPOLL_CTL_ADD, socket, &event) == 0 || errno != EEXIST) return 0;
  }
  if (epoll_ctl(loop->epoll_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
    epoll_ctl(loop->epoll_, EPOLL_CTL_ADD, socket, &event);
  }
  return 0;
}

int CurlTransport::Loop::OnTimer(CURLM*, long timeout_ms, void* user) {
  auto* pool = static_cast<Pool*>(user);
  pool->curl_due =
      timeout_ms < 0 ? absl::InfiniteFuture() : absl::Now() + absl::Milliseconds(timeout_ms);
  return 0;
}

void CurlTransport::Loop::RunCurlTimeouts() {
  absl::Time now = absl::Now();
  for (auto& pool : pools_) {
    if (pool->curl_due > now) continue;
    pool->curl_due = absl::InfiniteFuture();  // libcurl sets the next one
    int running = 0;
    curl_multi_socket_action(pool->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  }
}

void CurlTransport::Loop::ReadDone() {
  for (auto& pool : pools_) {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(pool->multi, &queued)) {
      if (message->msg == CURLMSG_DONE) OnDone(message->easy_handle, message->data.result);
    }
  }
}

void CurlTransport::Loop::Poll(int wait_ms) {
  constexpr int kEvents = 256;
  epoll_event events[kEvents];
  int ready = epoll_wait(epoll_, events, kEvents, wait_ms);
  int running = 0;
  for (int i = 0; i < ready; ++i) {
    if (events[i].data.u64 == kWakeEvent) {
      std::uint64_t count = 0;
      (void)!read(wake_fd_, &count, sizeof(count));
      continue;
    }
    Pool& pool = *pools_[PoolOf(events[i].data.u64)];
    int fd = SocketOf(events[i].data.u64);
    int flags = 0;
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) flags |= CURL_CSELECT_IN;
    if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(pool.multi, fd, flags, &running);
  }
}

void CurlTransport::Loop::Run() {
  current_ = this;
  for (;;) {
    std::vector<std::unique_ptr<Transfer>> starting;
    std::vector<std::uint64_t> cancelled;
    std::vector<absl::AnyInvocable<void() &&>> due;
    absl::Time next_timer = absl::InfiniteFuture();
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      wake_pending_ = false;  // what is queued now is taken now
      more_ = false;
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

    RunCurlTimeouts();  // a transfer just added is started by its timeout
    ReadDone();

    long wait_ms = 1000;
    if (more_) {
      wait_ms = 0;
    } else {
      absl::Time wake_at = next_timer;
      for (auto const& pool : pools_) wake_at = std::min(wake_at, pool->curl_due);
      if (wake_at != absl::InfiniteFuture()) {
        auto until =
            absl::ToInt64Milliseconds(absl::Ceil(wake_at - absl::Now(), absl::Milliseconds(1)));
        wait_ms = std::min<long>(wait_ms, std::max<std::int64_t>(until, 0));
      }
    }
    Poll(static_cast<int>(wait_ms));
    RunCurlTimeouts();
    ReadDone();
  }
  // Shutting down: nothing may be left without an answer. Callbacks may add
  // work while this drains (a retry timer, a new send); drain until quiet.
  // Their calls and timers stay on this loop (current_).
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
      if (late.empty() && timers.empty() && active_.empty()) {
        drained_ = true;
        break;
      }
    }
    for (auto& transfer : late) {
      Fail(std::move(transfer), adapters::errors::TransportFailure::kCancelled,
           "the gateway is shutting down");
    }
    for (auto& fn : timers) std::move(fn)();
  }
  current_ = nullptr;
}

CURL* CurlTransport::Loop::TakeEasy() {
  if (!idle_easies_.empty()) {
    // Every option a transfer sets is set again by the next (Configure), so
    // a pooled handle needs no curl_easy_reset.
    CURL* easy = idle_easies_.back();
    idle_easies_.pop_back();
    return easy;
  }
  CURL* easy = curl_easy_init();
  // What every transfer shares.
  curl_easy_setopt(easy, CURLOPT_SHARE, share_);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  // Rejects early when Content-Length already says it is too large.
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Loop::OnBody);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Loop::OnHeader);
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Loop::OnPrereq);
  // Upstream answers are small: a receive buffer of 4 KiB instead of 16
  // (each handle in flight holds one).
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  return easy;
}

void CurlTransport::Loop::ReleaseEasy(CURL* easy) {
  // Easy handles keep their buffers; reusing them saves allocations per call.
  // Nothing of the finished transfer stays reachable from the handle.
  curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
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
  Pool& pool = PoolForNext();
  transfer->pool = pool.index;
  ++pool.transfers;
  std::uint64_t id = transfer->id;
  auto cancellation = transfer->cancellation;
  active_.emplace(id, std::move(transfer));
  curl_multi_add_handle(pool.multi, active_[id]->easy);
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
  // Everything that differs between transfers; the rest is set once per
  // handle (TakeEasy).
  CURL* easy = t.easy;
  HttpRequest const& request = t.request;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_PREREQDATA, &t);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  bool plain_http = options_.allow_plain_http || request.credential_endpoint;
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, plain_http ? "http,https" : "https");
  // A proxy would answer with its own host's credentials, or none.
  curl_easy_setopt(easy, CURLOPT_NOPROXY, request.credential_endpoint ? "*" : nullptr);
  // The caller's deadline bounds the whole exchange.
  auto remaining_ms = absl::ToInt64Milliseconds(
      absl::Ceil(request.deadline - absl::Now(), absl::Milliseconds(1)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(
                                                 1, std::min<std::int64_t>(remaining_ms,
                                                                           LONG_MAX))));
  // The method, from a GET without a body (setting POSTFIELDS makes a POST,
  // so it is cleared first).
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  bool get = request.method == "GET";
  bool post = request.method == "POST";
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, get || post ? nullptr : request.method.c_str());
  if (post) curl_easy_setopt(easy, CURLOPT_POST, 1L);
  if (!request.body.empty() || post) {
    // A known length keeps the connection reusable after an error status.
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  }

  std::string line;
  for (auto const& [name, value] : request.headers) {
    line.assign(name).append(": ").append(value);
    t.headers = curl_slist_append(t.headers, line.c_str());
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
  Pool& pool = *pools_[transfer->pool];
  --pool.transfers;
  curl_multi_remove_handle(pool.multi, transfer->easy);
  long connects = 0;
  curl_easy_getinfo(transfer->easy, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += connects;
  ReleaseEasy(transfer->easy);
  transfer->easy = nullptr;
  curl_slist_free_all(transfer->headers);
  transfer->headers = nullptr;
  return transfer;
}

CurlTransport::Loop::Pool& CurlTransport::Loop::PoolForNext() {
  for (auto const& pool : pools_) {
    if (pool->transfers < pool->room) return *pool;
  }
  Pool* least = pools_.front().get();
  for (auto const& pool : pools_) {
    if (pool->transfers < least->transfers) least = pool.get();
  }
  return *least;
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
  load_.fetch_sub(1, std::memory_order_relaxed);
  std::move(transfer->done)(std::move(result));
}

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  EnsureCurlGlobalInit();
  // One by default: on the 2-core benchmark machine a loop per core did not
  // make a call cheaper (docs/performance.md).
  int loops = std::max(1, options_.event_loops);
  // Every loop, and every pool of a loop, gets at least one connection of
  // each limit.
  long smallest = LONG_MAX;
  for (long limit : {options_.max_total_connections, options_.max_connections_per_host,
                     options_.max_idle_connections}) {
    if (limit > 0) smallest = std::min(smallest, limit);
  }
  loops = static_cast<int>(std::min<long>(loops, smallest));
  int pools = static_cast<int>(std::min<long>(kPoolsPerLoop, smallest / loops));
  // Each pool's share of a limit; the first ones take the remainder, so the
  // shares add up to the limit.
  int const n = loops * pools;
  auto share_out = [n](long limit, int i) {
    return limit > 0 ? limit / n + (i < limit % n ? 1 : 0) : limit;
  };
  for (int loop = 0; loop < loops; ++loop) {
    std::vector<Loop::Limits> limits;
    for (int pool = 0; pool < pools; ++pool) {
      int i = pool * loops + loop;  // the remainder spread over the loops too
      limits.push_back({share_out(options_.max_idle_connections, i),
                        share_out(options_.max_connections_per_host, i),
                        share_out(options_.max_total_connections, i)});
    }
    shares_.push_back(std::make_unique<Share>());
    loops_.push_back(
        std::make_unique<Loop>(options_, limits, shares_.back()->handle(), connections_opened_));
  }
}

CurlTransport::~CurlTransport() {
  // Each loop answers what it still holds; a callback may still send to
  // another loop, so all have ended before any is destroyed.
  for (auto& loop : loops_) loop->Stop();
  for (auto& loop : loops_) loop->Join();
  loops_.clear();
}

CurlTransport::Loop* CurlTransport::OwnLoop() const {
  if (Loop* current = Loop::Current()) {
    for (auto const& loop : loops_) {
      if (loop.get() == current) return current;
    }
  }
  return nullptr;
}

void CurlTransport::Send(HttpRequest request,
                         std::shared_ptr<adapters::async::Cancellation> cancellation,
                         Done<HttpResponse> done) {
  Loop* loop = OwnLoop();
  if (loop == nullptr) {
    // The loop with the fewest transfers; the first of equals, so calls made
    // one after another reuse one connection.
    loop = loops_.front().get();
    for (auto const& other : loops_) {
      if (other->load() < loop->load()) loop = other.get();
    }
  }
  loop->Send(std::move(request), std::move(cancellation), std::move(done));
}

absl::Time CurlTransport::Now() { return absl::Now(); }

void CurlTransport::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  // Timers set on one thread run in order: other threads' on the first loop.
  Loop* loop = OwnLoop();
  (loop != nullptr ? *loop : *loops_.front()).RunAt(when, std::move(fn));
}

std::int64_t CurlTransport::connections_opened() const { return connections_opened_.load(); }

}  // namespace linkgateway::adapters::transport
