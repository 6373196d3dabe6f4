// The gateway-wide cap on calls in flight: a call beyond it is answered at
// once (RESOURCE_EXHAUSTED, reason OVERLOADED, RetryInfo) before any
// validation or upstream work, so overload costs little and in-flight calls
// keep their resources.
#ifndef LINKGATEWAY_SERVER_CALL_CALL_LIMITER_H_
#define LINKGATEWAY_SERVER_CALL_CALL_LIMITER_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace linkgateway::server::call {

class CallLimiter {
 public:
  explicit CallLimiter(int max_in_flight) : max_(max_in_flight) {}

  // Takes a slot; false (taking nothing) when all are in use.
  bool TryAcquire() {
    int now = in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (now < max_) return true;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    shed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  void Release() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::int64_t shed() const { return shed_.load(std::memory_order_relaxed); }
  int max() const { return max_; }

  // The answer for a call that found no slot.
  absl::Status Overloaded() const;

 private:
  int const max_;
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> shed_{0};
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_CALL_LIMITER_H_
