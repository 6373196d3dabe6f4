// Calls waiting for one shared refresh (credentials, a token): each leaves
// at its own deadline or cancellation; the rest are answered together when
// the refresh settles. Timers and cancellation callbacks hold it weakly, so
// it may go away first; whoever is still waiting then is told CANCELLED.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_SHARED_WAITERS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_SHARED_WAITERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/async/scheduler.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

// What a waiter that left early is told (DEADLINE_EXCEEDED or CANCELLED, why,
// while waiting for `what`), marked as never sent upstream.
inline absl::Status GaveUpWaiting(absl::StatusCode code, absl::string_view why,
                                  absl::string_view what) {
  absl::Status status = adapters::errors::WithErrorInfo(
      absl::Status(code, absl::StrCat(why, " while waiting for ", what)),
      code == absl::StatusCode::kCancelled ? adapters::errors::reason::kCancelled
                                           : adapters::errors::reason::kDeadlineExceeded,
      adapters::errors::kGatewayDomain);
  adapters::errors::MarkNotSent(status);
  return status;
}

template <typename T>
class SharedWaiters : public std::enable_shared_from_this<SharedWaiters<T>> {
 public:
  // `what` names the refresh in errors, e.g. "AWS credentials".
  static std::shared_ptr<SharedWaiters> Create(adapters::async::Scheduler& clock,
                                               std::string what) {
    return std::shared_ptr<SharedWaiters>(new SharedWaiters(clock, std::move(what)));
  }

  ~SharedWaiters() {
    absl::flat_hash_map<std::uint64_t, Waiter> left;
    {
      absl::MutexLock lock(&mu_);
      left.swap(waiters_);
    }
    for (auto& [id, waiter] : left) {
      std::move(waiter.done)(
          GaveUpWaiting(absl::StatusCode::kCancelled, "the gateway is stopping", what_));
    }
  }

  // Waits for the next Settle, until `deadline` or `cancellation` (may be
  // null). `done` runs exactly once, never inside this call.
  void Add(absl::Time deadline, std::shared_ptr<adapters::async::Cancellation> cancellation,
           adapters::transport::Done<T> done) ABSL_LOCKS_EXCLUDED(mu_) {
    Watch(Reserve(std::move(done)), deadline, std::move(cancellation));
  }

  // Add in two halves, for a caller that must join under its own lock (so no
  // Settle can slip in between its decision and the join) but must not
  // register timers or cancellation callbacks there. Reserve runs nothing.
  std::uint64_t Reserve(adapters::transport::Done<T> done) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::uint64_t id = next_id_++;
    waiters_[id] = Waiter{std::move(done), nullptr, 0};
    return id;
  }

  void Watch(std::uint64_t id, absl::Time deadline,
             std::shared_ptr<adapters::async::Cancellation> cancellation) ABSL_LOCKS_EXCLUDED(mu_) {
    std::weak_ptr<SharedWaiters> weak = this->shared_from_this();
    if (deadline != absl::InfiniteFuture()) {
      clock_.RunAt(deadline, [weak, id] {
        if (auto self = weak.lock()) {
          self->Leave(id, absl::StatusCode::kDeadlineExceeded, "the call's deadline passed");
        }
      });
    }
    if (cancellation) {
      adapters::async::Cancellation::Id cancel_id = cancellation->OnCancel([weak, id] {
        if (auto self = weak.lock()) {
          self->Leave(id, absl::StatusCode::kCancelled, "the call was cancelled");
        }
      });
      {
        absl::MutexLock lock(&mu_);
        auto it = waiters_.find(id);
        if (it != waiters_.end()) {
          it->second.cancellation = cancellation;
          it->second.cancellation_id = cancel_id;
          return;
        }
      }
      // Settled meanwhile: the callback must not outlive the wait.
      if (cancel_id != 0) cancellation->Remove(cancel_id);
    }
  }

  // Answers every waiter with `result`.
  void Settle(absl::StatusOr<T> const& result) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::flat_hash_map<std::uint64_t, Waiter> settled;
    {
      absl::MutexLock lock(&mu_);
      settled.swap(waiters_);
    }
    for (auto& [id, waiter] : settled) {
      if (waiter.cancellation) waiter.cancellation->Remove(waiter.cancellation_id);
      std::move(waiter.done)(result);
    }
  }

  int size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(waiters_.size());
  }

 private:
  struct Waiter {
    adapters::transport::Done<T> done;
    std::shared_ptr<adapters::async::Cancellation> cancellation;
    adapters::async::Cancellation::Id cancellation_id = 0;
  };

  SharedWaiters(adapters::async::Scheduler& clock, std::string what)
      : clock_(clock), what_(std::move(what)) {}

  void Leave(std::uint64_t id, absl::StatusCode code, absl::string_view why)
      ABSL_LOCKS_EXCLUDED(mu_) {
    Waiter waiter;
    {
      absl::MutexLock lock(&mu_);
      auto it = waiters_.find(id);
      if (it == waiters_.end()) return;  // already answered
      waiter = std::move(it->second);
      waiters_.erase(it);
    }
    if (waiter.cancellation && code != absl::StatusCode::kCancelled) {
      waiter.cancellation->Remove(waiter.cancellation_id);
    }
    std::move(waiter.done)(GaveUpWaiting(code, why, what_));
  }

  adapters::async::Scheduler& clock_;
  std::string const what_;
  mutable absl::Mutex mu_;
  std::uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_SHARED_WAITERS_H_
