// Runs unlink jobs: each target is one step, sent through the provider's
// operation as the single delete it stands for, authorized with the job's
// caller and audited.
//
// Exactly once, or honestly unknown: a step's intent (RUNNING, attempt n) is
// in the store before its request is started, and its outcome after the
// answer. A step found RUNNING without an outcome (the gateway stopped, or
// the answer proved nothing) is sent again only for providers whose repeat
// is harmless and proves the end state (ProviderRegistry::repeatable_deletes);
// otherwise it ends OUTCOME_UNKNOWN with the evidence. A queued delete
// (a transaction id in its answer) is followed until its final state.
//
// Every change happens on the engine's worker thread; readers (Get, List,
// Watch) see snapshots.
#ifndef LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_
#define LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/operation/provider_registry.h"
#include "google/longrunning/operations.pb.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/audit/audit_log.h"
#include "server/security/authorization_policy.h"
#include "server/security/caller.h"
#include "server/security/watched_file.h"
#include "server/unlink/job_store.h"
#include "server/unlink/step_calls.h"
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
  // Where steps and store writes are counted; may be null.
  observability::metrics::GatewayMetrics* metrics = nullptr;
};

// "operations/unlink/" + a random UUID.
std::string NewOperationName();

// The long-running operation of a job as it stands.
google::longrunning::Operation OperationOf(StoredJob const& job);

// ListOperations' filter (AIP-160, a subset): terms `caller = "<p>"` and
// `done = true|false` joined by AND; a caller may name only itself.
absl::Status ParseFilter(std::string const& filter, std::string const& principal,
                         JobQuery& query);

class UnlinkEngine {
 public:
  using Policy = security::WatchedFile<security::AuthorizationPolicy>;
  // (metadata, done); runs on the engine's worker thread: must not block.
  using Watcher = std::function<void(v1::UnlinkMetadata const&, bool)>;

  // `policy` may be null (every caller may call everything).
  UnlinkEngine(JobStore& store, adapters::operation::ProviderRegistry const& providers,
               Policy* policy, audit::AuditLog& audit, EngineOptions options);
  // Stops: steps in flight are left RUNNING in the store (resolved by the
  // next start, as after a crash).
  ~UnlinkEngine();

  // Claims and resumes unfinished jobs now and then every lease/3 (also a
  // dead replica's, once its lease lapsed); renews this replica's leases.
  void StartBackgroundWork();

  // Checks every target (rules, permission, configuration), stores the job
  // and starts it. A repeated request_id returns the caller's existing job.
  absl::StatusOr<google::longrunning::Operation> Start(security::Caller const& caller,
                                                       v1::StartUnlinkRequest const& request);

  // NOT_FOUND unless the job exists and belongs to `caller`.
  absl::StatusOr<google::longrunning::Operation> Get(security::Caller const& caller,
                                                     std::string const& name);
  absl::StatusOr<google::longrunning::ListOperationsResponse> List(
      security::Caller const& caller, google::longrunning::ListOperationsRequest const& request);
  // Steps not yet sent end CANCELLED; sent ones finish.
  absl::Status Cancel(security::Caller const& caller, std::string const& name);

  // Calls `watcher` with the job as it is and after every change until it
  // is done (the last call has done = true). Returns a handle for Unwatch.
  absl::StatusOr<std::int64_t> Watch(security::Caller const& caller, std::string const& name,
                                     Watcher watcher);
  void Unwatch(std::int64_t handle);

  // Calls `done` once: with the operation as soon as it is done, or as it
  // stands at `until` (google.longrunning WaitOperation).
  void Wait(security::Caller const& caller, std::string const& name, absl::Time until,
            absl::AnyInvocable<void(absl::StatusOr<google::longrunning::Operation>) &&> done);

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  // Worker-thread work.
  static JobPtr MakeJob(StoredJob stored, std::vector<v1::UnlinkTarget> targets,
                        security::Caller caller);
  // Adds `job` to the jobs this replica runs; false when it runs it already.
  bool Register(JobPtr const& job);
  // Starts running a registered job's steps (worker thread).
  void Adopt(JobPtr const& job);
  // The audit record of a job's start (unlink_step -1).
  void AuditStart(security::Caller const& caller, v1::StartUnlinkRequest const& request,
                  std::string const& name);
  void Recover(JobPtr const& job);
  void Pump();
  void BeginStep(JobPtr const& job, int index);
  void OnAnswer(JobPtr const& job, int index, CallAnswer answer, int sends,
                std::string upstream_id);
  void Follow(JobPtr const& job, int index, absl::Time give_up, absl::Duration interval);
  void OnQueuedState(JobPtr const& job, int index, absl::StatusOr<QueuedState> state,
                     absl::Time give_up, absl::Duration interval);
  // Saves step `index` as `step`; false when the job was taken over (it is
  // dropped here) or the store failed.
  bool Save(JobPtr const& job, int index, v1::UnlinkStep step);
  // Ends step `index` (from `base` when given: the step with what its
  // answer added) and completes the job when it was the last.
  void Finish(JobPtr const& job, int index, v1::UnlinkStepState state, absl::Status status,
              v1::UnlinkStep const* base = nullptr);
  // Appends the step's audit record; returns the upstream request id.
  std::string Audit(JobPtr const& job, int index, google::protobuf::Message const& request,
                    absl::Status const& status, google::protobuf::Message const* response,
                    adapters::transport::UpstreamTrace const* trace, absl::Time started,
                    std::string const& rule);
  void PollWatch(std::int64_t handle, std::string const& name, Watcher watcher,
                 std::string last);
  void Notify(JobPtr const& job);
  // Marks the job done when every step is; true when it did (and told
  // the watchers).
  bool MaybeComplete(JobPtr const& job);
  void ClaimAndRenew();
  // Marks a job this replica runs cancelled: its pending steps end
  // CANCELLED (worker thread).
  void ApplyCancel(std::string const& name);

  absl::Status Authorize(std::string const& principal, std::string const& method,
                         std::string const& provider, std::string* rule) const;
  absl::StatusOr<StoredJob> Visible(security::Caller const& caller, std::string const& name);

  JobStore& store_;
  adapters::operation::ProviderRegistry const& providers_;
  Policy* const policy_;
  audit::AuditLog& audit_;
  EngineOptions const options_;
  // Cancels the adapters' work when the engine stops.
  std::shared_ptr<adapters::async::Cancellation> const stopping_;
  std::atomic<bool> shutting_down_{false};
  // How adapter callbacks reach the worker while the engine lives.
  std::shared_ptr<struct Gate> const gate_;

  absl::Mutex mu_;
  // Unfinished jobs this replica runs.
  absl::flat_hash_map<std::string, JobPtr> jobs_ ABSL_GUARDED_BY(mu_);
  std::int64_t next_watch_ ABSL_GUARDED_BY(mu_) = 1;
  // handle -> job name, for Unwatch.
  absl::flat_hash_map<std::int64_t, std::string> watches_ ABSL_GUARDED_BY(mu_);

  // Worker thread only.
  std::deque<std::pair<JobPtr, int>> ready_;
  int in_flight_ = 0;

  // Last: stopped first, while everything its tasks use is alive.
  Worker worker_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_
