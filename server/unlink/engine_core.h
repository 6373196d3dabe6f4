// What the unlink engine's parts share: the jobs this replica runs, the
// worker thread where every change to them happens, and the job lifecycle
// that writes those changes to the store — a step's transitions, the end of
// a job, a cancel — and tells the job's watchers.
//
// Known outcomes are never dropped: a step's outcome the store did not take
// stays with the job and is written again (with backoff) until it lands;
// the job moves on only after.
#ifndef LINKGATEWAY_SERVER_UNLINK_ENGINE_CORE_H_
#define LINKGATEWAY_SERVER_UNLINK_ENGINE_CORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/unlink/job.h"
#include "server/unlink/job_store.h"
#include "server/unlink/worker.h"

namespace linkgateway::server::unlink {

struct EngineOptions {
  // This replica's name in the store's leases; stable across its restarts
  // so it resumes its own jobs at once.
  std::string owner;
  int max_steps_in_flight = 64;
  absl::Duration step_deadline = absl::Seconds(60);
  absl::Duration follow_for = absl::Minutes(10);
  absl::Duration follow_interval = absl::Seconds(1);
  absl::Duration lease = absl::Seconds(30);
  absl::Duration retention = absl::Hours(24 * 30);
  // Attempts of a repeatable delete whose outcome stays unknown.
  int max_attempts = 3;
  int max_steps_in_flight_per_provider = 16;
  // Steps not finished this long after the job's start end FAILED.
  absl::Duration job_deadline = absl::Hours(24 * 30);
  // Steps waiting in this replica's queues at most; more starts are refused.
  int max_waiting_steps = 100000;
  // The first wait after a throttled or transient answer; it doubles up to
  // the second (or the provider's Retry-After when longer).
  absl::Duration retry_initial_backoff = absl::Seconds(2);
  absl::Duration retry_max_backoff = absl::Hours(1);
  // Job calls that may wait for the store at once; more are refused.
  int max_waiting_store_calls = 1024;
  // Where steps and store writes are counted; may be null.
  observability::metrics::GatewayMetrics* metrics = nullptr;
};

// Sets m.progress: per provider, where the job's steps stand. Kept on the
// live job; a job read from the store gets it when it is shown.
void UpdateProgress(v1::UnlinkMetadata& m);

class EngineCore {
 public:
  EngineCore(JobStore& store, EngineOptions options);
  // Stops the worker; steps in flight stay RUNNING in the store (resolved
  // by the next start, as after a crash).
  ~EngineCore();
  void Stop();

  JobStore& store() { return store_; }
  EngineOptions const& options() const { return options_; }
  Worker& worker() { return worker_; }
  bool stopping() const { return shutting_down_.load(); }
  // Cancelled when the engine stops: adapters give up their work.
  std::shared_ptr<adapters::async::Cancellation> const& stop_signal() const { return stopping_; }
  // Runs `task` on the worker while the engine lives (from any thread,
  // e.g. an adapter's callback); dropped after (false: it will not run).
  bool Post(absl::AnyInvocable<void() &&> task);
  // Post() for a callback that may run after the engine is gone (the answer
  // of a call it started, of a rate limit's turn): it holds the gate, not
  // the engine, so calling it then only drops the task.
  using Poster = std::function<bool(absl::AnyInvocable<void() &&>)>;
  Poster poster() const;

  // Adds `job` to the jobs this replica runs; false when it runs it already.
  bool Register(JobPtr const& job) ABSL_LOCKS_EXCLUDED(mu_);
  void Forget(std::string const& name) ABSL_LOCKS_EXCLUDED(mu_);
  // A copy of a running job's stored state; nullopt when not run here.
  std::optional<StoredJob> Snapshot(std::string const& name) ABSL_LOCKS_EXCLUDED(mu_);
  JobPtr Find(std::string const& name) ABSL_LOCKS_EXCLUDED(mu_);
  // f(job) for every job this replica runs, under the lock that guards
  // their stored state (worker thread; f must not block).
  void ForEachJob(std::function<void(Job&)> const& f) ABSL_LOCKS_EXCLUDED(mu_);

  // Worker thread. Saves step `index` as `step`; false when the job was
  // taken over (it is dropped here) or the store failed (`outcome`: kept
  // and written again until it lands).
  bool Save(JobPtr const& job, int index, v1::UnlinkStep step, bool outcome = false);
  // Ends step `index` (from `base` when given: the step with what its
  // answer added) and completes the job when it was the last.
  void FinishStep(JobPtr const& job, int index, v1::UnlinkStepState state, absl::Status status,
                  v1::UnlinkStep const* base = nullptr);
  // Marks the job done when every step is; true when it did (and told the
  // watchers).
  bool MaybeComplete(JobPtr const& job);
  // Marks a job this replica runs cancelled: its pending steps end
  // CANCELLED.
  void ApplyCancel(std::string const& name);
  // Tells the job's watchers where it stands.
  void Notify(JobPtr const& job);
  // Called (worker thread) when the store took a step's unfinished state
  // only on a retry: the runner carries on with it.
  void set_requeue(std::function<void(JobPtr const&, int)> requeue) {
    requeue_ = std::move(requeue);
  }

  // Watchers (any thread): `handle` for job `name`.
  std::int64_t NewWatch(std::string const& name) ABSL_LOCKS_EXCLUDED(mu_);
  bool Watching(std::int64_t handle) ABSL_LOCKS_EXCLUDED(mu_);
  // Adds `watcher` to the running job `name` and returns its state; nullopt
  // when the job is not run here (or the watch already ended).
  std::optional<v1::UnlinkMetadata> Attach(std::int64_t handle, std::string const& name,
                                           Watcher watcher) ABSL_LOCKS_EXCLUDED(mu_);
  void EndWatch(std::int64_t handle) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Writes the job's unsaved outcomes again, until they land.
  void RetryUnsaved(JobPtr const& job, absl::Duration backoff);

  JobStore& store_;
  EngineOptions const options_;
  std::function<void(JobPtr const&, int)> requeue_;
  std::shared_ptr<adapters::async::Cancellation> const stopping_;
  std::atomic<bool> shutting_down_{false};
  // How adapter callbacks reach the worker while the engine lives.
  std::shared_ptr<struct Gate> const gate_;

  absl::Mutex mu_;
  // Unfinished jobs this replica runs.
  absl::flat_hash_map<std::string, JobPtr> jobs_ ABSL_GUARDED_BY(mu_);
  std::int64_t next_watch_ ABSL_GUARDED_BY(mu_) = 1;
  // handle -> job name.
  absl::flat_hash_map<std::int64_t, std::string> watches_ ABSL_GUARDED_BY(mu_);

  // Last: stopped first, while everything its tasks use is alive.
  Worker worker_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_ENGINE_CORE_H_
