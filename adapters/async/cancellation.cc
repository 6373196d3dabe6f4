#include "adapters/async/cancellation.h"

#include <utility>

namespace linkgateway::adapters::async {

Cancellation::Id Cancellation::OnCancel(absl::AnyInvocable<void() &&> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      Id id = next_id_++;
      callbacks_.emplace(id, std::move(fn));
      return id;
    }
  }
  std::move(fn)();
  return 0;
}

void Cancellation::Remove(Id id) {
  absl::MutexLock lock(&mu_);
  callbacks_.erase(id);
}

void Cancellation::Cancel() {
  absl::flat_hash_map<Id, absl::AnyInvocable<void() &&>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& [id, fn] : callbacks) std::move(fn)();
}

bool Cancellation::IsCancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

}  // namespace linkgateway::adapters::async
