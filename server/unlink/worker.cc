#include "server/unlink/worker.h"

#include "absl/time/clock.h"

namespace linkgateway::server::unlink {

Worker::Worker() : thread_([this] { Run(); }) {}

void Worker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Worker::PostAt(absl::Time when, absl::AnyInvocable<void() &&> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  tasks_.emplace(when, std::move(task));
}

void Worker::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    absl::Time next = tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first;
    // Wakes when the earliest task is due, or for a task earlier than it
    // (the condition is re-checked whenever the lock is released).
    auto wake = [this, next] {
      mu_.AssertReaderHeld();
      if (stopping_) return true;
      if (tasks_.empty()) return false;
      absl::Time first = tasks_.begin()->first;
      return first < next || first <= absl::Now();
    };
    mu_.AwaitWithDeadline(absl::Condition(&wake), next);
    if (stopping_) break;
    if (tasks_.empty() || tasks_.begin()->first > absl::Now()) continue;
    auto task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    mu_.Unlock();
    std::move(task)();
    mu_.Lock();
  }
  // What is due runs (e.g. a step's outcome still to be saved); the rest
  // is dropped.
  absl::Time now = absl::Now();
  while (!tasks_.empty() && tasks_.begin()->first <= now) {
    auto task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    mu_.Unlock();
    std::move(task)();
    mu_.Lock();
  }
  tasks_.clear();
}

}  // namespace linkgateway::server::unlink
