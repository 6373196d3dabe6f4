// A Redis connection shared by the gateway's replicas' state (rate limits,
// tokens, idempotency records): Debian's hiredis (0.14, async API) on a
// libevent loop of its own, so no gRPC or transport thread ever waits for
// Redis. Commands are sent from any thread; answers arrive on the client's
// thread and must not block.
//
// Each connection starts with a handshake before any command is sent: AUTH
// (when a password is set), then what the server is (INFO server: its run_id,
// which changes at every restart) and whether what it acknowledges survives
// a restart (INFO persistence, CONFIG GET appendonly / appendfsync /
// maxmemory / maxmemory-policy). Only then is the client connected(); each
// handshake is a new RedisSession, told to the session listeners.
//
// Unavailable is a normal state, not an error to hide: while disconnected
// every command fails at once (UNAVAILABLE) and the client reconnects in the
// background, waiting twice as long after each failed attempt (up to
// max_reconnect_backoff). Only while the very first connection is being made
// do commands wait for it (up to the connect timeout), so a starting gateway
// does not fall back for nothing. A refused password is not retried quickly:
// it is logged once, health() says so and the backoff grows like any other
// failure. A command without an answer within its timeout fails (UNAVAILABLE)
// and its late answer is dropped; a heartbeat (PING) notices a stalled server
// without traffic, and a connection that stays stalled is dropped so nothing
// piles up behind it. hiredis 0.14 has no TLS: Redis must be on a trusted
// network or a local sidecar.
#ifndef LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_
#define LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/rotating_secret.h"

struct event;
struct event_base;
struct redisAsyncContext;

namespace linkgateway::adapters::shared_state {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // AUTH when set; taken anew at each connection, so a rotated password
  // file is used from the next (re)connect on.
  config::RotatingSecret password;
  // Bounds the TCP connection and the handshake together.
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Milliseconds(250);
  // The first wait before connecting again; it doubles after each failed
  // attempt, up to max_reconnect_backoff, and starts over once connected.
  absl::Duration reconnect_interval = absl::Milliseconds(500);
  absl::Duration max_reconnect_backoff = absl::Seconds(30);
  // A PING this often while connected, so a stalled server is noticed.
  absl::Duration heartbeat_interval = absl::Seconds(1);
  // A connection whose server answered nothing for this long is dropped
  // (zero: 8 command timeouts, at least 2 s).
  absl::Duration stall_disconnect_after = absl::ZeroDuration();
};

// What the server says about keeping what it acknowledged.
struct RedisPersistence {
  bool known = false;        // INFO persistence and CONFIG GET answered
  bool aof_enabled = false;  // INFO persistence aof_enabled:1 and appendonly yes
  std::string appendfsync;   // "always", "everysec", "no"
  std::string maxmemory_policy;
  std::int64_t maxmemory = 0;  // bytes; 0 = no limit

  // Every acknowledged write is on disk before it is acknowledged
  // (appendonly yes, appendfsync always) and nothing is evicted (no memory
  // limit, or maxmemory-policy noeviction): a restart loses nothing.
  bool durable() const;
  // "appendonly=yes appendfsync=always maxmemory=0 maxmemory-policy=noeviction".
  std::string Describe() const;
};

// One connection's handshake.
struct RedisSession {
  std::uint64_t number = 0;  // 1 for the first connection, then 2, ...
  std::string run_id;        // INFO server run_id: changes at every restart
  RedisPersistence persistence;
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

  // Runs `fn` on the client's thread after `delay` (at once when zero);
  // dropped when the client stops first.
  void After(absl::Duration delay, absl::AnyInvocable<void() &&> fn) ABSL_LOCKS_EXCLUDED(mu_);

  // `listener` runs on the client's thread after every handshake (and at
  // once, on that thread, when a session is already up). Commands it sends
  // go out on the new connection.
  void AddSessionListener(std::function<void(RedisSession const&)> listener)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Waits (up to `timeout`) until the first connection attempt ended: OK once
  // connected; UNAVAILABLE when Redis could not be reached; UNAUTHENTICATED
  // when it refused the password (or asked for one none was given).
  absl::Status WaitForFirstAttempt(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(status_mu_);

  // Whether the connection is up and its handshake (authentication
  // included) done.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  // OK while connected and answering; otherwise why not (the refused
  // password, the unreachable address, a server that stopped answering).
  // Cheap; from any thread.
  absl::Status health() const ABSL_LOCKS_EXCLUDED(status_mu_);

  // The latest session (number 0 before the first).
  RedisSession session() const ABSL_LOCKS_EXCLUDED(status_mu_);

  // Connection attempts started so far (tests watch the backoff).
  int connection_attempts() const { return attempts_.load(std::memory_order_relaxed); }

  // For the loop's C callbacks.
  struct Pending;
  struct Handshake;
  void OnConnect(int status);
  void OnDisconnect(int status);
  void OnHandshakeReply(Handshake* handshake, std::size_t index, void* reply);
  void OnCommandAnswered(bool timed_out);

 private:
  struct Task {
    absl::Duration delay;
    absl::AnyInvocable<void() &&> fn;
  };
  struct Timer;

  void Run();
  void Drain();
  void Connect();
  void ScheduleReconnect();
  void Send(std::unique_ptr<Pending> pending);
  // The first connection attempt ended: send or fail what waited for it.
  void FlushWaiting();
  // Ends a connection attempt that failed (auth, timeout, refused): frees
  // the context and connects again after the backoff.
  void FailAttempt(absl::Status why);
  void FinishHandshake(Handshake& handshake);
  void Heartbeat();
  void SetStatus(absl::Status status) ABSL_LOCKS_EXCLUDED(status_mu_);
  // Frees the current context without calling back into the client.
  void DropContext();
  bool stopping() ABSL_LOCKS_EXCLUDED(mu_);

  RedisOptions const options_;
  event_base* base_ = nullptr;
  event* wakeup_ = nullptr;     // Drain() the queue
  event* reconnect_ = nullptr;  // Connect() again
  event* connect_timer_ = nullptr;
  event* heartbeat_ = nullptr;
  redisAsyncContext* context_ = nullptr;  // loop thread only
  bool connecting_ = false;               // loop thread only: TCP or handshake under way
  bool first_attempt_ = true;             // loop thread only
  absl::Duration backoff_;                // loop thread only: the next wait
  std::uint64_t sessions_ = 0;            // loop thread only
  std::unique_ptr<Handshake> handshake_;  // loop thread only
  std::string last_logged_failure_;       // loop thread only
  absl::Time last_logged_at_ = absl::InfinitePast();  // loop thread only
  absl::Time silent_since_ = absl::InfiniteFuture();  // loop thread only: oldest unanswered
  bool healthy_ = false;                  // loop thread only: status_.ok()
  std::set<Timer*> timers_;               // loop thread only: After() not yet fired
  std::deque<std::unique_ptr<Pending>> waiting_;  // loop thread only: for the first connection
  std::vector<std::function<void(RedisSession const&)>> listeners_;  // loop thread only
  std::atomic<bool> connected_{false};
  std::atomic<int> attempts_{0};

  absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  mutable absl::Mutex status_mu_;
  absl::Status status_ ABSL_GUARDED_BY(status_mu_) =
      absl::UnavailableError("shared state (Redis): not connected yet");
  RedisSession session_ ABSL_GUARDED_BY(status_mu_);
  std::optional<absl::Status> first_attempt_result_ ABSL_GUARDED_BY(status_mu_);

  std::thread thread_;
};

}  // namespace linkgateway::adapters::shared_state

#endif  // LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_CLIENT_H_
