#include "server/unlink/engine_core.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "observability/log/log.h"

namespace linkgateway::server::unlink {

namespace log = observability::log;

// A failed outcome write is tried again after this, doubling up to a third
// of a lease (so the job's holder keeps it while the store recovers).
constexpr absl::Duration kFirstRetry = absl::Milliseconds(200);

struct Gate {
  absl::Mutex mu;
  Worker* worker ABSL_GUARDED_BY(mu) = nullptr;
  bool Post(absl::AnyInvocable<void() &&> task) {
    absl::MutexLock lock(&mu);
    if (worker == nullptr) return false;
    worker->Post(std::move(task));
    return true;
  }
};

EngineCore::EngineCore(JobStore& store, EngineOptions options)
    : store_(store),
      options_(std::move(options)),
      stopping_(std::make_shared<adapters::async::Cancellation>()),
      gate_(std::make_shared<Gate>()) {
  absl::MutexLock lock(&gate_->mu);
  gate_->worker = &worker_;
}

EngineCore::~EngineCore() { Stop(); }

void EngineCore::Stop() {
  shutting_down_.store(true);
  {
    absl::MutexLock lock(&gate_->mu);
    gate_->worker = nullptr;
  }
  stopping_->Cancel();
  worker_.Stop();
}

bool EngineCore::Post(absl::AnyInvocable<void() &&> task) { return gate_->Post(std::move(task)); }

EngineCore::Poster EngineCore::poster() const {
  return [gate = gate_](absl::AnyInvocable<void() &&> task) { return gate->Post(std::move(task)); };
}

// Per provider, where the job's steps stand.
void UpdateProgress(v1::UnlinkMetadata& m) {
  std::map<std::string, v1::UnlinkProviderProgress> by_provider;
  for (auto const& step : m.steps()) {
    std::string provider = ProviderOfTarget(step.target());
    auto& progress = by_provider[provider];
    progress.set_provider(provider);
    if (Terminal(step.state())) {
      progress.set_finished(progress.finished() + 1);
    } else if (step.state() == v1::UNLINK_STEP_STATE_RUNNING) {
      progress.set_running(progress.running() + 1);
    } else {
      progress.set_waiting(progress.waiting() + 1);
    }
  }
  m.clear_progress();
  for (auto& [provider, progress] : by_provider) *m.add_progress() = std::move(progress);
}

bool EngineCore::Register(JobPtr const& job) {
  absl::MutexLock lock(&mu_);
  UpdateProgress(job->stored.metadata);
  return jobs_.emplace(job->stored.metadata.name(), job).second;
}

void EngineCore::Forget(std::string const& name) {
  absl::MutexLock lock(&mu_);
  jobs_.erase(name);
}

std::optional<StoredJob> EngineCore::Snapshot(std::string const& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return std::nullopt;
  return it->second->stored;
}

void EngineCore::ForEachJob(std::function<void(Job&)> const& f) {
  absl::MutexLock lock(&mu_);
  for (auto& [name, job] : jobs_) f(*job);
}

JobPtr EngineCore::Find(std::string const& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : it->second;
}

bool EngineCore::Save(JobPtr const& job, int index, v1::UnlinkStep step, bool outcome) {
  absl::Time now = absl::Now();
  *step.mutable_update_time() = Stamp(now);
  absl::Status saved = store_.SaveStep(job->stored.metadata.name(), options_.owner, index, step);
  if (options_.metrics != nullptr) options_.metrics->UnlinkStoreWrite(absl::Now() - now);
  if (saved.code() == absl::StatusCode::kFailedPrecondition) {
    // Another replica holds the job now (this one's lease lapsed): it
    // resolves the steps from the store; this replica must not act on them.
    log::Warning("unlink: ", saved.message(), "; leaving it to its holder");
    job->dropped = true;
    Forget(job->stored.metadata.name());
    return false;
  }
  if (!saved.ok()) {
    log::Error("unlink: cannot record step ", index, " of ", job->stored.metadata.name(), ": ",
               saved.message());
    if (outcome) {
      // The provider answered: the answer is kept and written again until
      // the store takes it.
      bool first = job->unsaved.empty();
      job->unsaved[index] = std::move(step);
      if (first) {
        worker_.PostAt(now + kFirstRetry, [this, job] { RetryUnsaved(job, kFirstRetry); });
      }
      return false;
    }
    // Not recorded, so not acted on (the caller tries again).
    return false;
  }
  absl::MutexLock lock(&mu_);
  *job->stored.metadata.mutable_steps(index) = std::move(step);
  *job->stored.metadata.mutable_update_time() = Stamp(now);
  UpdateProgress(job->stored.metadata);
  return true;
}

void EngineCore::RetryUnsaved(JobPtr const& job, absl::Duration backoff) {
  if (job->dropped || shutting_down_.load()) return;
  auto unsaved = std::move(job->unsaved);
  job->unsaved.clear();
  for (auto& [index, step] : unsaved) {
    v1::UnlinkStep copy = step;
    if (Save(job, index, std::move(copy), /*outcome=*/false)) {
      if (!Terminal(step.state()) && requeue_) requeue_(job, index);
      if (options_.metrics != nullptr && Terminal(step.state())) {
        absl::string_view name = v1::UnlinkStepState_Name(step.state());
        absl::ConsumePrefix(&name, "UNLINK_STEP_STATE_");
        options_.metrics->UnlinkStepFinished(ProviderOfTarget(step.target()), name);
      }
      continue;
    }
    if (job->dropped) return;
    job->unsaved[index] = std::move(step);
  }
  if (!job->unsaved.empty()) {
    absl::Duration next = std::min(backoff * 2, options_.lease / 3);
    worker_.PostAt(absl::Now() + backoff, [this, job, next] { RetryUnsaved(job, next); });
    return;
  }
  log::Info("unlink: the outcomes of ", job->stored.metadata.name(), " are recorded now");
  if (!MaybeComplete(job)) Notify(job);
}

void EngineCore::FinishStep(JobPtr const& job, int index, v1::UnlinkStepState state,
                            absl::Status status, v1::UnlinkStep const* base) {
  v1::UnlinkStep step = base != nullptr ? *base : job->stored.metadata.steps(index);
  step.set_state(state);
  *step.mutable_status() = adapters::errors::ToRpcStatus(status);
  std::string provider = ProviderOfTarget(step.target());
  if (!Save(job, index, std::move(step), /*outcome=*/true)) return;
  if (options_.metrics != nullptr) {
    absl::string_view name = v1::UnlinkStepState_Name(state);
    absl::ConsumePrefix(&name, "UNLINK_STEP_STATE_");
    options_.metrics->UnlinkStepFinished(provider, name);
  }
  // The last step's change is reported with the job's end.
  if (!MaybeComplete(job)) Notify(job);
}

bool EngineCore::MaybeComplete(JobPtr const& job) {
  if (job->dropped || job->stored.done || !job->unsaved.empty()) return false;
  for (auto const& step : job->stored.metadata.steps()) {
    if (!Terminal(step.state())) return false;
  }
  if (absl::Status done = store_.MarkDone(job->stored.metadata.name(), options_.owner);
      !done.ok()) {
    log::Error("unlink: cannot mark ", job->stored.metadata.name(), " done: ", done.message());
    if (done.code() == absl::StatusCode::kFailedPrecondition) {
      // Another replica holds it now, and completes it.
      job->dropped = true;
      Forget(job->stored.metadata.name());
      return false;
    }
    // Written again until it lands, as the steps' outcomes are.
    worker_.PostAt(absl::Now() + options_.lease / 3, [this, job] { MaybeComplete(job); });
    return false;
  }
  {
    absl::MutexLock lock(&mu_);
    job->stored.done = true;
    jobs_.erase(job->stored.metadata.name());
  }
  log::Info("unlink: ", job->stored.metadata.name(), " finished");
  Notify(job);
  // A finished job has nothing more to report.
  absl::MutexLock lock(&mu_);
  for (auto const& [handle, watcher] : job->watchers) watches_.erase(handle);
  job->watchers.clear();
  return true;
}

void EngineCore::ApplyCancel(std::string const& name) {
  JobPtr job;
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(name);
    // Another replica's job: it learns of the flag at its next claim.
    if (it == jobs_.end() || it->second->stored.metadata.cancel_requested()) return;
    job = it->second;
    job->stored.metadata.set_cancel_requested(true);
  }
  // Steps still waiting end CANCELLED; running ones finish.
  for (int i = 0; i < job->stored.metadata.steps_size() && !job->dropped; ++i) {
    if (job->stored.metadata.steps(i).state() == v1::UNLINK_STEP_STATE_PENDING) {
      FinishStep(job, i, v1::UNLINK_STEP_STATE_CANCELLED,
                 absl::CancelledError("cancelled before it was sent"));
    }
  }
  if (!job->stored.done) Notify(job);
}

void EngineCore::Notify(JobPtr const& job) {
  bool const done = job->stored.done;
  std::vector<Watcher> watchers;
  v1::UnlinkMetadata snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot = job->stored.metadata;
    for (auto const& [handle, watcher] : job->watchers) watchers.push_back(watcher);
  }
  for (auto const& watcher : watchers) watcher(snapshot, done);
}

std::int64_t EngineCore::NewWatch(std::string const& name) {
  absl::MutexLock lock(&mu_);
  std::int64_t handle = next_watch_++;
  watches_[handle] = name;
  return handle;
}

bool EngineCore::Watching(std::int64_t handle) {
  absl::MutexLock lock(&mu_);
  return watches_.contains(handle);
}

std::optional<v1::UnlinkMetadata> EngineCore::Attach(std::int64_t handle, std::string const& name,
                                                     Watcher watcher) {
  absl::MutexLock lock(&mu_);
  if (!watches_.contains(handle)) return std::nullopt;
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return std::nullopt;
  it->second->watchers[handle] = std::move(watcher);
  return it->second->stored.metadata;
}

void EngineCore::EndWatch(std::int64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(handle);
  if (it == watches_.end()) return;
  if (auto job = jobs_.find(it->second); job != jobs_.end()) job->second->watchers.erase(handle);
  watches_.erase(it);
}

}  // namespace linkgateway::server::unlink
