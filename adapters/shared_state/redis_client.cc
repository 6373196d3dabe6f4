#include "adapters/shared_state/redis_client.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

namespace {

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
  pending->Answer(Convert(static_cast<redisReply*>(raw_reply)));
}

void OnTimeout(evutil_socket_t, short, void* arg) {
  // The reply may still come: OnReply frees the command then.
  static_cast<RedisClient::Pending*>(arg)->Answer(Unavailable("no answer in time"));
}

// `data` is null for a context the client has already let go of.
void OnConnectCallback(redisAsyncContext const* context, int status) {
  if (context->data != nullptr) static_cast<RedisClient*>(context->data)->OnConnect(status);
}

void OnDisconnectCallback(redisAsyncContext const* context, int status) {
  if (context->data != nullptr) static_cast<RedisClient*>(context->data)->OnDisconnect(status);
}

void OnAuth(redisAsyncContext* context, void* raw_reply, void*) {
  auto* reply = static_cast<redisReply*>(raw_reply);
  if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
    observability::log::Error("shared state (Redis): AUTH refused: ",
                              std::string(reply->str, reply->len));
    redisAsyncDisconnect(context);
  }
}

}  // namespace

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
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
    if (!client->connecting_ || client->context_ == nullptr) return;
    observability::log::Warning("shared state (Redis): no connection to ", client->options_.host,
                                ":", client->options_.port, " within ",
                                absl::FormatDuration(client->options_.connect_timeout));
    client->connecting_ = false;
    redisAsyncContext* context = client->context_;
    client->context_ = nullptr;
    context->data = nullptr;
    redisAsyncFree(context);
    client->FlushWaiting();
    client->ScheduleReconnect();
  }, this);
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
  event_base_free(base_);
}

void RedisClient::Run() { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); }

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

void RedisClient::Drain() {
  std::deque<std::unique_ptr<Pending>> batch;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
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
  if (stopping) {
    connecting_ = false;
    FlushWaiting();
    if (context_ != nullptr) {
      redisAsyncContext* context = context_;
      context_ = nullptr;
      redisAsyncFree(context);  // answers what is in flight
    }
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
  pending.release();  // OnReply owns it now
}

void RedisClient::Connect() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
  }
  if (context_ != nullptr || connecting_) return;
  redisAsyncContext* context = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (context == nullptr || context->err) {
    if (context != nullptr) redisAsyncFree(context);
    FlushWaiting();
    return ScheduleReconnect();
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
  timeval interval = absl::ToTimeval(options_.reconnect_interval);
  evtimer_add(reconnect_, &interval);
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

void RedisClient::OnConnect(int status) {
  connecting_ = false;
  evtimer_del(connect_timer_);
  if (status != REDIS_OK) {
    context_ = nullptr;  // hiredis frees it after this callback
    FlushWaiting();
    return ScheduleReconnect();
  }
  if (!options_.password.empty()) {
    char const* argv[] = {"AUTH", options_.password.c_str()};
    std::size_t lengths[] = {4, options_.password.size()};
    redisAsyncCommandArgv(context_, &OnAuth, nullptr, 2, argv, lengths);
  }
  if (!connected_.exchange(true)) {
    observability::log::Info("shared state (Redis): connected to ", options_.host, ":",
                             options_.port);
  }
  FlushWaiting();
}

void RedisClient::OnDisconnect(int) {
  if (connected_.exchange(false)) {
    observability::log::Warning("shared state (Redis): lost the connection to ", options_.host, ":",
                                options_.port, "; reconnecting");
  }
  context_ = nullptr;  // hiredis frees it after this callback
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (!stopping) ScheduleReconnect();
}

}  // namespace linkgateway::adapters::shared_state
