// Calls open at once on one caller connection, counted from the moment the
// stream starts (stream_start_service.h), whatever the client did with the
// HTTP/2 SETTINGS that announce the limit.
//
// gRPC enforces SETTINGS_MAX_CONCURRENT_STREAMS itself once a client has
// acknowledged it; this counter covers the clients that never do. A call
// beyond `max_calls` is refused at once. Refusals cost little while the
// client reads them; a client that keeps opening streams and never reads
// makes their answers pile up in the gateway, so once `max_calls` refusals
// are waiting to be delivered on one connection it is closed (`close`).
#ifndef LINKGATEWAY_SERVER_CALL_CONNECTION_LIMITER_H_
#define LINKGATEWAY_SERVER_CALL_CONNECTION_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace linkgateway::server::call {

class ConnectionLimiter {
 public:
  // `close` shuts a connection (by gRPC's peer string) down.
  ConnectionLimiter(int max_calls, std::function<void(std::string const&)> close)
      : max_(max_calls), close_(std::move(close)) {}

  // Takes a call slot on `connection` (gRPC's peer string: one per TCP
  // connection); false when all are in use: the call must be refused, and
  // RefusalDone() called once its answer is delivered.
  bool TryAcquire(std::string const& connection) ABSL_LOCKS_EXCLUDED(mu_);
  void Release(std::string const& connection) ABSL_LOCKS_EXCLUDED(mu_);
  void RefusalDone(std::string const& connection) ABSL_LOCKS_EXCLUDED(mu_);

  std::int64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  std::int64_t closed() const { return closed_.load(std::memory_order_relaxed); }

  // The answer for a call that found no slot on its connection.
  absl::Status TooManyStreams() const;

 private:
  struct Counts {
    int open = 0;     // calls being served
    int refused = 0;  // refusals not yet delivered
    bool closing = false;
  };
  void EraseIfIdle(std::string const& connection) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  int const max_;
  std::function<void(std::string const&)> const close_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Counts> connections_ ABSL_GUARDED_BY(mu_);
  std::atomic<std::int64_t> refused_{0};
  std::atomic<std::int64_t> closed_{0};
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_CONNECTION_LIMITER_H_
