// The job store as the job RPCs reach it: on a thread of its own, so no
// gRPC thread ever waits on a disk or a database. Each call ends by its
// deadline — DEADLINE_EXCEEDED when the store has not answered (a late
// answer is dropped) — and calls beyond a bound are refused at once
// (UNAVAILABLE), so a stalled store makes only job calls wait, and never
// for long.
#ifndef LINKGATEWAY_SERVER_UNLINK_STORE_CALLS_H_
#define LINKGATEWAY_SERVER_UNLINK_STORE_CALLS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/unlink/job_store.h"
#include "server/unlink/worker.h"

namespace linkgateway::server::unlink {

class StoreCalls {
 public:
  // `store` must outlive this.
  StoreCalls(JobStore& store, int max_waiting) : store_(store), max_waiting_(max_waiting) {}
  ~StoreCalls() {
    timers_.Stop();
    thread_.Stop();
  }

  // Runs `work` on the store's thread; `done` runs once (on the store's or
  // the timer's thread) with its result, DEADLINE_EXCEEDED at `deadline`,
  // or UNAVAILABLE when too many calls wait already.
  template <typename T>
  void Run(absl::Time deadline, std::function<absl::StatusOr<T>(JobStore&)> work,
           absl::AnyInvocable<void(absl::StatusOr<T>) &&> done) {
    if (waiting_.fetch_add(1) >= max_waiting_) {
      waiting_.fetch_sub(1);
      return std::move(done)(absl::UnavailableError(
          "too many unlink job calls wait for the job store; try again shortly"));
    }
    auto once = std::make_shared<Once<T>>(std::move(done));
    timers_.PostAt(deadline, [once] {
      once->Answer(
          absl::DeadlineExceededError("the job store did not answer before the call's deadline"));
    });
    thread_.Post([this, once, deadline, work = std::move(work)]() mutable {
      waiting_.fetch_sub(1);
      if (once->answered() || absl::Now() >= deadline) return;
      once->Answer(work(store_));
    });
  }

 private:
  template <typename T>
  class Once {
   public:
    explicit Once(absl::AnyInvocable<void(absl::StatusOr<T>) &&> done) : done_(std::move(done)) {}
    bool answered() const { return answered_.load(); }
    void Answer(absl::StatusOr<T> result) {
      if (answered_.exchange(true)) return;
      std::move(done_)(std::move(result));
    }

   private:
    std::atomic<bool> answered_{false};
    absl::AnyInvocable<void(absl::StatusOr<T>) &&> done_;
  };

  JobStore& store_;
  int const max_waiting_;
  std::atomic<int> waiting_{0};
  Worker thread_;
  Worker timers_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_STORE_CALLS_H_
