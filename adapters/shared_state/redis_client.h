// A Redis connection shared by the gateway's replicas' state (rate limits,
// tokens, idempotency records): Debian's hiredis (0.14, async API) on a
// libevent loop of its own, so no gRPC or transport thread ever waits for
// Redis. Commands are sent from any thread; answers arrive on the client's
// thread and must not block.
//
// Unavailable is a normal state, not an error to hide: while disconnected
// every command fails at once (UNAVAILABLE) and the client reconnects in the
// background (only while the very first connection is being made do
// commands wait for it, up to the connect timeout, so a starting gateway
// does not fall back for nothing); a command without an answer within its timeout fails
// (UNAVAILABLE) and its late answer is dropped. hiredis 0.14 has no TLS:
// Redis must be on a trusted network or a local sidecar.
#ifndef LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_
#define LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct event;
struct event_base;
struct redisAsyncContext;

namespace linkgateway::adapters::shared_state {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // AUTH when set
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Milliseconds(250);
  absl::Duration reconnect_interval = absl::Milliseconds(500);
};

// One answer: a RESP value.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;
};

using RedisCallback = absl::AnyInvocable<void(absl::StatusOr<RedisReply>) &&>;

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();  // answers every pending command (UNAVAILABLE), then stops

  // Sends `args` (e.g. {"GET", key}); `done` runs exactly once on the
  // client's thread: the reply (a Redis error reply is a kError reply, not a
  // failed status), or UNAVAILABLE when disconnected or timed out.
  void Command(std::vector<std::string> args, RedisCallback done) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the connection is up (and authenticated, when a password is set).
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  // For the loop's C callbacks.
  struct Pending;
  void OnConnect(int status);
  void OnDisconnect(int status);

 private:
  void Run();
  void Drain();
  void Connect();
  void ScheduleReconnect();
  void Send(std::unique_ptr<Pending> pending);
  // The first connection attempt ended: send or fail what waited for it.
  void FlushWaiting();

  RedisOptions const options_;
  event_base* base_ = nullptr;
  event* wakeup_ = nullptr;     // Drain() the queue
  event* reconnect_ = nullptr;  // Connect() again
  event* connect_timer_ = nullptr;
  redisAsyncContext* context_ = nullptr;  // loop thread only
  bool connecting_ = false;               // loop thread only
  bool first_attempt_ = true;             // loop thread only
  std::deque<std::unique_ptr<Pending>> waiting_;  // loop thread only: for the first connection
  std::atomic<bool> connected_{false};
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace linkgateway::adapters::shared_state

#endif  // LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_
