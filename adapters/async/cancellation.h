// Cancellation of one gRPC call, observed by whatever works on its behalf
// (an upstream transfer, a queued retry, a rate-limit wait).
#ifndef LINKGATEWAY_ADAPTERS_ASYNC_CANCELLATION_H_
#define LINKGATEWAY_ADAPTERS_ASYNC_CANCELLATION_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace linkgateway::adapters::async {

class Cancellation {
 public:
  using Id = std::uint64_t;

  // Runs `fn` when Cancel() is called, or at once (before returning) if it
  // already was. Returns an id for Remove(); 0 when `fn` already ran.
  Id OnCancel(absl::AnyInvocable<void() &&> fn) ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets a callback that must no longer run (its work finished).
  void Remove(Id id) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs every registered callback once, outside the lock. Later calls no-op.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

  bool IsCancelled() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<Id, absl::AnyInvocable<void() &&>> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::async

#endif  // LINKGATEWAY_ADAPTERS_ASYNC_CANCELLATION_H_
