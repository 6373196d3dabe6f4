#include "adapters/shared_state/redis_client.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "observability/log/log.h"

namespace linkgateway::adapters::shared_state {

struct RedisClient::Pending {
  RedisClient* client = nullptr;
  std::vector<std::string> args;
  RedisCallback done;
  event* timer = nullptr;
  bool answered = false;

  void Answer(absl::StatusOr<RedisReply> result) {
    if (answered) return;
    answered = true;
    std::move(done)(std::move(result));
  }
};

// The replies of one connection's handshake, in the order sent.
// A timer set by After(): the function and its event, freed when it ran.
struct RedisClient::Timer {
  RedisClient* client = nullptr;
  event* ev = nullptr;
  absl::AnyInvocable<void() &&> fn;
};

struct RedisClient::Handshake {
  std::uint64_t attempt = 0;
  bool auth = false;  // the first command is AUTH
  std::vector<std::optional<RedisReply>> replies;
  std::size_t received = 0;
};

namespace {

// One handshake command's callback argument.
struct HandshakeSlot {
  RedisClient* client;
  RedisClient::Handshake* handshake;
  std::uint64_t attempt;
  std::size_t index;
};

RedisReply Convert(redisReply const* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (std::size_t i = 0; i < reply->elements; ++i) {
        out.elements.push_back(Convert(reply->element[i]));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

absl::Status Unavailable(absl::string_view why) {
  return absl::UnavailableError(absl::StrCat("shared state (Redis): ", why));
}

void OnReply(redisAsyncContext*, void* raw_reply, void* privdata) {
  std::unique_ptr<RedisClient::Pending> pending(static_cast<RedisClient::Pending*>(privdata));
  if (pending->timer != nullptr) event_free(pending->timer);
  if (raw_reply == nullptr) return pending->Answer(Unavailable("the connection closed"));
  pending->client->OnCommandAnswered(false);
  pending->Answer(Convert(static_cast<redisReply*>(raw_reply)));
}

void OnTimeout(evutil_socket_t, short, void* arg) {
  // The reply may still come: OnReply frees the command then.
  auto* pending = static_cast<RedisClient::Pending*>(arg);
  if (pending->answered) return;
  pending->client->OnCommandAnswered(true);
  pending->Answer(Unavailable("no answer in time"));
}

void OnHandshake(redisAsyncContext*, void* raw_reply, void* privdata) {
  std::unique_ptr<HandshakeSlot> slot(static_cast<HandshakeSlot*>(privdata));
  slot->client->OnHandshakeReply(slot->handshake, slot->index, raw_reply);
}

// `data` is null for a context the client has already let go of.
void OnConnectCallback(redisAsyncContext const* context, int status) {
  if (context->data != nullptr) static_cast<RedisClient*>(context->data)->OnConnect(status);
}

void OnDisconnectCallback(redisAsyncContext const* context, int status) {
  if (context->data != nullptr) static_cast<RedisClient*>(context->data)->OnDisconnect(status);
}

// "key:value" lines of an INFO section.
std::string InfoField(std::string const& info, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      return std::string(line);
    }
  }
  return "";
}

// The value of a CONFIG GET reply ({name, value}), or nullopt.
std::optional<std::string> ConfigValue(std::optional<RedisReply> const& reply) {
  if (!reply || reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
    return std::nullopt;
  }
  return reply->elements[1].text;
}

bool IsError(std::optional<RedisReply> const& reply) {
  return reply && reply->type == RedisReply::Type::kError;
}

}  // namespace

bool RedisPersistence::durable() const {
  return known && aof_enabled && appendfsync == "always" &&
         (maxmemory == 0 || maxmemory_policy == "noeviction");
}

std::string RedisPersistence::Describe() const {
  if (!known) return "persistence unknown (INFO persistence or CONFIG GET refused)";
  return absl::StrCat("appendonly=", aof_enabled ? "yes" : "no", " appendfsync=", appendfsync,
                      " maxmemory=", maxmemory, " maxmemory-policy=", maxmemory_policy);
}

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)), backoff_(options_.reconnect_interval) {
  static bool const threads = evthread_use_pthreads() == 0;  // wake the loop from any thread
  (void)threads;
  base_ = event_base_new();
  wakeup_ = event_new(base_, -1, 0, [](evutil_socket_t, short, void* self) {
    static_cast<RedisClient*>(self)->Drain();
  }, this);
  reconnect_ = evtimer_new(base_, [](evutil_socket_t, short, void* self) {
    static_cast<RedisClient*>(self)->Connect();
  }, this);
  connect_timer_ = evtimer_new(base_, [](evutil_socket_t, short, void* self) {
    auto* client = static_cast<RedisClient*>(self);
    if (!client->connecting_) return;
    client->FailAttempt(Unavailable(absl::StrCat(
        "no connection to ", client->options_.host, ":", client->options_.port,
        " (connected and answered the handshake) within ",
        absl::FormatDuration(client->options_.connect_timeout))));
  }, this);
  heartbeat_ = event_new(base_, -1, EV_PERSIST, [](evutil_socket_t, short, void* self) {
    static_cast<RedisClient*>(self)->Heartbeat();
  }, this);
  timeval beat = absl::ToTimeval(options_.heartbeat_interval);
  event_add(heartbeat_, &beat);
  event_active(reconnect_, 0, 0);  // connect once the loop runs
  thread_ = std::thread([this] { Run(); });
}

RedisClient::~RedisClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  event_active(wakeup_, 0, 0);
  thread_.join();
  event_free(wakeup_);
  event_free(reconnect_);
  event_free(connect_timer_);
  event_free(heartbeat_);
  event_base_free(base_);
}

void RedisClient::Run() { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); }

bool RedisClient::stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void RedisClient::Command(std::vector<std::string> args, RedisCallback done) {
  auto pending = std::make_unique<Pending>();
  pending->client = this;
  pending->args = std::move(args);
  pending->done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(pending));
  }
  event_active(wakeup_, 0, 0);
}

void RedisClient::After(absl::Duration delay, absl::AnyInvocable<void() &&> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    tasks_.push_back({delay, std::move(fn)});
  }
  event_active(wakeup_, 0, 0);
}

void RedisClient::AddSessionListener(std::function<void(RedisSession const&)> listener) {
  After(absl::ZeroDuration(), [this, listener = std::move(listener)]() mutable {
    listeners_.push_back(listener);
    if (connected_.load(std::memory_order_relaxed)) listener(session());
  });
}

absl::Status RedisClient::WaitForFirstAttempt(absl::Duration timeout) {
  absl::MutexLock lock(&status_mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(status_mu_) {
    return first_attempt_result_.has_value();
  };
  if (!status_mu_.AwaitWithTimeout(absl::Condition(&ended), timeout)) {
    return Unavailable(absl::StrCat("the first connection attempt did not end within ",
                                    absl::FormatDuration(timeout)));
  }
  return *first_attempt_result_;
}

absl::Status RedisClient::health() const {
  absl::MutexLock lock(&status_mu_);
  return status_;
}

RedisSession RedisClient::session() const {
  absl::MutexLock lock(&status_mu_);
  return session_;
}

void RedisClient::SetStatus(absl::Status status) {
  healthy_ = status.ok();
  absl::MutexLock lock(&status_mu_);
  status_ = std::move(status);
}

void RedisClient::Drain() {
  std::deque<std::unique_ptr<Pending>> batch;
  std::deque<Task> tasks;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
    tasks.swap(tasks_);
    stopping = stopping_;
  }
  for (auto& pending : batch) {
    if (stopping) {
      pending->Answer(Unavailable("the gateway is stopping"));
    } else if (first_attempt_) {
      waiting_.push_back(std::move(pending));  // sent (or failed) when it ends
    } else if (!connected_.load(std::memory_order_relaxed) || context_ == nullptr) {
      pending->Answer(Unavailable("not connected"));
    } else {
      Send(std::move(pending));
    }
  }
  for (auto& task : tasks) {
    if (stopping) continue;
    if (task.delay <= absl::ZeroDuration()) {
      std::move(task.fn)();
      continue;
    }
    auto* timer = new Timer{this, nullptr, std::move(task.fn)};
    timer->ev = evtimer_new(base_, [](evutil_socket_t, short, void* arg) {
      std::unique_ptr<Timer> fired(static_cast<Timer*>(arg));
      fired->client->timers_.erase(fired.get());
      event_free(fired->ev);
      std::move(fired->fn)();
    }, timer);
    timers_.insert(timer);
    timeval tv = absl::ToTimeval(task.delay);
    evtimer_add(timer->ev, &tv);
  }
  if (stopping) {
    connecting_ = false;
    handshake_.reset();
    FlushWaiting();
    if (context_ != nullptr) {
      redisAsyncContext* context = context_;
      context_ = nullptr;
      context->data = nullptr;
      redisAsyncFree(context);  // answers what is in flight
    }
    connected_.store(false);
    // Timers set by After() that have not fired go with their functions.
    for (Timer* timer : timers_) {
      event_free(timer->ev);
      delete timer;
    }
    timers_.clear();
    event_base_loopexit(base_, nullptr);
  }
}

void RedisClient::Send(std::unique_ptr<Pending> pending) {
  std::vector<char const*> argv;
  std::vector<std::size_t> lengths;
  for (auto const& arg : pending->args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  Pending* raw = pending.get();
  raw->timer = evtimer_new(base_, &OnTimeout, raw);
  timeval timeout = absl::ToTimeval(options_.command_timeout);
  evtimer_add(raw->timer, &timeout);
  if (redisAsyncCommandArgv(context_, &OnReply, raw, static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    event_free(raw->timer);
    return pending->Answer(Unavailable("the command could not be sent"));
  }
  if (silent_since_ == absl::InfiniteFuture()) silent_since_ = absl::Now();
  pending.release();  // OnReply owns it now
}

void RedisClient::OnCommandAnswered(bool timed_out) {
  if (timed_out) {
    SetStatus(Unavailable(absl::StrCat("Redis at ", options_.host, ":", options_.port,
                                       " did not answer within ",
                                       absl::FormatDuration(options_.command_timeout))));
    return;
  }
  // Any answer proves the server is alive; a command still waiting starts
  // the silence again when the heartbeat finds it.
  silent_since_ = absl::InfiniteFuture();
  if (!healthy_ && connected_.load(std::memory_order_relaxed)) SetStatus(absl::OkStatus());
}

void RedisClient::Heartbeat() {
  if (!connected_.load(std::memory_order_relaxed) || context_ == nullptr) return;
  absl::Time now = absl::Now();
  absl::Duration stall_after = options_.stall_disconnect_after;
  if (stall_after <= absl::ZeroDuration()) {
    stall_after = std::max(absl::Seconds(2), 8 * options_.command_timeout);
  }
  if (silent_since_ != absl::InfiniteFuture() && now - silent_since_ > stall_after) {
    absl::Status status = Unavailable(absl::StrCat(
        "Redis at ", options_.host, ":", options_.port, " answered nothing for ",
        absl::FormatDuration(absl::Trunc(now - silent_since_, absl::Milliseconds(1))),
        "; the connection was dropped"));
    observability::log::Warning(status.message());
    connected_.store(false);
    DropContext();
    SetStatus(status);
    backoff_ = options_.reconnect_interval;
    ScheduleReconnect();
    return;
  }
  if (silent_since_ != absl::InfiniteFuture() && now - silent_since_ > options_.command_timeout) {
    SetStatus(Unavailable(absl::StrCat(
        "Redis at ", options_.host, ":", options_.port, " has not answered for ",
        absl::FormatDuration(absl::Trunc(now - silent_since_, absl::Milliseconds(1))))));
    return;  // no PING piling up behind the silence
  }
  if (silent_since_ != absl::InfiniteFuture()) return;  // commands are out: their answers tell
  auto pending = std::make_unique<Pending>();
  pending->client = this;
  pending->args = {"PING"};
  pending->done = [](absl::StatusOr<RedisReply>) {};
  Send(std::move(pending));
}

void RedisClient::DropContext() {
  if (context_ == nullptr) return;
  redisAsyncContext* context = context_;
  context_ = nullptr;
  context->data = nullptr;
  silent_since_ = absl::InfiniteFuture();
  redisAsyncFree(context);  // answers what is in flight (deferred inside a callback)
}

void RedisClient::Connect() {
  if (stopping()) return;
  if (context_ != nullptr || connecting_) return;
  attempts_.fetch_add(1, std::memory_order_relaxed);
  redisAsyncContext* context = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (context == nullptr || context->err) {
    std::string why = context != nullptr ? context->errstr : "out of memory";
    if (context != nullptr) redisAsyncFree(context);
    return FailAttempt(Unavailable(absl::StrCat("cannot connect to ", options_.host, ":",
                                                options_.port, ": ", why)));
  }
  context->data = this;
  redisLibeventAttach(context, base_);
  redisAsyncSetConnectCallback(context, &OnConnectCallback);
  redisAsyncSetDisconnectCallback(context, &OnDisconnectCallback);
  context_ = context;
  connecting_ = true;
  timeval timeout = absl::ToTimeval(options_.connect_timeout);
  evtimer_add(connect_timer_, &timeout);
}

void RedisClient::ScheduleReconnect() {
  if (stopping()) return;
  // A little jitter, so replicas that lost Redis together do not return in step.
  static thread_local std::minstd_rand random(static_cast<unsigned>(getpid()));
  double factor = std::uniform_real_distribution<double>(0.8, 1.2)(random);
  timeval interval = absl::ToTimeval(backoff_ * factor);
  evtimer_add(reconnect_, &interval);
  backoff_ = std::min(backoff_ * 2, std::max(options_.max_reconnect_backoff,
                                             options_.reconnect_interval));
}

void RedisClient::FlushWaiting() {
  first_attempt_ = false;
  std::deque<std::unique_ptr<Pending>> waiting;
  waiting.swap(waiting_);
  for (auto& pending : waiting) {
    if (connected_.load(std::memory_order_relaxed) && context_ != nullptr) {
      Send(std::move(pending));
    } else {
      pending->Answer(Unavailable("not connected"));
    }
  }
}

void RedisClient::FailAttempt(absl::Status why) {
  connecting_ = false;
  connected_.store(false);
  evtimer_del(connect_timer_);
  handshake_.reset();
  DropContext();
  // Logged when it changes (and once a minute while it lasts): a refused
  // password is one line, not one per attempt.
  absl::Time now = absl::Now();
  if (why.message() != last_logged_failure_ || now - last_logged_at_ >= absl::Minutes(1)) {
    if (why.code() == absl::StatusCode::kUnauthenticated) {
      observability::log::Error(why.message(), "; trying again with backoff (up to ",
                                absl::FormatDuration(options_.max_reconnect_backoff), ")");
    } else {
      observability::log::Warning(why.message(), "; trying again with backoff (up to ",
                                  absl::FormatDuration(options_.max_reconnect_backoff), ")");
    }
    last_logged_failure_ = std::string(why.message());
    last_logged_at_ = now;
  }
  SetStatus(why);
  if (first_attempt_) {
    {
      absl::MutexLock lock(&status_mu_);
      first_attempt_result_ = why;
    }
    FlushWaiting();
  }
  ScheduleReconnect();
}

void RedisClient::OnConnect(int status) {
  if (status != REDIS_OK) {
    std::string why = context_ != nullptr ? context_->errstr : "";
    context_ = nullptr;  // hiredis frees it after this callback
    return FailAttempt(Unavailable(
        absl::StrCat("cannot connect to ", options_.host, ":", options_.port, ": ", why)));
  }
  // The handshake: every command pipelined at once, each answered in order.
  std::vector<std::vector<std::string>> commands;
  std::string password = options_.password.value();
  if (!password.empty()) commands.push_back({"AUTH", password});
  commands.push_back({"INFO", "server"});
  commands.push_back({"INFO", "persistence"});
  for (char const* name : {"appendonly", "appendfsync", "maxmemory", "maxmemory-policy"}) {
    commands.push_back({"CONFIG", "GET", name});
  }
  handshake_ = std::make_unique<Handshake>();
  handshake_->attempt = static_cast<std::uint64_t>(attempts_.load(std::memory_order_relaxed));
  handshake_->auth = !password.empty();
  handshake_->replies.resize(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    std::vector<char const*> argv;
    std::vector<std::size_t> lengths;
    for (auto const& arg : commands[i]) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* slot = new HandshakeSlot{this, handshake_.get(), handshake_->attempt, i};
    if (redisAsyncCommandArgv(context_, &OnHandshake, slot, static_cast<int>(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
      delete slot;
      return FailAttempt(Unavailable("the handshake could not be sent"));
    }
  }
}

void RedisClient::OnHandshakeReply(Handshake* handshake, std::size_t index, void* raw_reply) {
  // A reply of an attempt already given up (its context freed) is dropped.
  if (handshake_ == nullptr || handshake_.get() != handshake) return;
  if (raw_reply == nullptr) return;  // the connection closed: OnDisconnect says so
  handshake->replies[index] = Convert(static_cast<redisReply*>(raw_reply));
  if (++handshake->received == handshake->replies.size()) FinishHandshake(*handshake);
}

void RedisClient::FinishHandshake(Handshake& handshake) {
  auto const& replies = handshake.replies;
  std::size_t at = 0;
  if (handshake.auth) {
    if (IsError(replies[0])) {
      std::string text = replies[0]->text;
      if (absl::StrContains(text, "without any password configured")) {
        return FailAttempt(absl::UnauthenticatedError(absl::StrCat(
            "shared state (Redis): shared_state.password is set but Redis at ", options_.host,
            ":", options_.port, " has no password configured (", text, ")")));
      }
      return FailAttempt(absl::UnauthenticatedError(
          absl::StrCat("shared state (Redis): Redis at ", options_.host, ":", options_.port,
                       " refused shared_state.password (", text, ")")));
    }
    at = 1;
  }
  auto const& server = replies[at];
  if (IsError(server)) {
    if (absl::StartsWith(server->text, "NOAUTH")) {
      return FailAttempt(absl::UnauthenticatedError(absl::StrCat(
          "shared state (Redis): Redis at ", options_.host, ":", options_.port,
          " requires a password (", server->text, ") and shared_state.password is not set")));
    }
    return FailAttempt(Unavailable(absl::StrCat("INFO server failed: ", server->text)));
  }
  auto const& persistence = replies[at + 1];
  if (persistence && persistence->type == RedisReply::Type::kString &&
      InfoField(persistence->text, "loading") == "1") {
    return FailAttempt(Unavailable(absl::StrCat("Redis at ", options_.host, ":", options_.port,
                                                " is still loading its data set")));
  }
  RedisSession session;
  session.run_id = server ? InfoField(server->text, "run_id") : "";
  auto appendonly = ConfigValue(replies[at + 2]);
  auto appendfsync = ConfigValue(replies[at + 3]);
  auto maxmemory = ConfigValue(replies[at + 4]);
  auto policy = ConfigValue(replies[at + 5]);
  RedisPersistence& p = session.persistence;
  p.known = persistence && persistence->type == RedisReply::Type::kString && appendonly &&
            appendfsync && maxmemory && policy;
  if (p.known) {
    p.aof_enabled = InfoField(persistence->text, "aof_enabled") == "1" && *appendonly == "yes";
    p.appendfsync = *appendfsync;
    p.maxmemory_policy = *policy;
    if (!absl::SimpleAtoi(*maxmemory, &p.maxmemory)) p.maxmemory = -1;
  }

  connecting_ = false;
  evtimer_del(connect_timer_);
  handshake_.reset();
  session.number = ++sessions_;
  connected_.store(true);
  SetStatus(absl::OkStatus());
  {
    absl::MutexLock lock(&status_mu_);
    session_ = session;
    if (first_attempt_) first_attempt_result_ = absl::OkStatus();  // last: wakes the waiter
  }
  backoff_ = options_.reconnect_interval;
  last_logged_failure_.clear();
  observability::log::Info("shared state (Redis): connected to ", options_.host, ":",
                           options_.port, " (run_id ", session.run_id, ", ",
                           session.persistence.Describe(), ")");
  for (auto const& listener : listeners_) listener(session);
  FlushWaiting();
}

void RedisClient::OnDisconnect(int) {
  context_ = nullptr;  // hiredis frees it after this callback
  silent_since_ = absl::InfiniteFuture();
  handshake_.reset();
  bool was_connected = connected_.exchange(false);
  if (connecting_) {
    // Closed during the handshake (e.g. Redis dropped a client that failed
    // to authenticate).
    connecting_ = false;
    return FailAttempt(Unavailable(absl::StrCat("Redis at ", options_.host, ":", options_.port,
                                                " closed the connection during the handshake")));
  }
  if (was_connected) {
    observability::log::Warning("shared state (Redis): lost the connection to ", options_.host,
                                ":", options_.port, "; reconnecting");
    SetStatus(Unavailable(absl::StrCat("lost the connection to ", options_.host, ":",
                                       options_.port)));
  }
  if (!stopping()) ScheduleReconnect();
}

}  // namespace linkgateway::adapters::shared_state
