#include "server/unlink/unlink_engine.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "server/idempotency/records.h"
#include "server/unlink/operations.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {

UnlinkEngine::UnlinkEngine(JobStore& store, call::Pipeline const& pipeline,
                           call::MethodSet const& methods,
                           adapters::operation::ProviderRegistry const& providers,
                           EngineOptions options)
    : core_(store, std::move(options)),
      calls_(store, core_.options().max_waiting_store_calls),
      runner_(core_, pipeline, methods, providers),
      leases_(core_, runner_),
      views_(core_, calls_) {}

UnlinkEngine::~UnlinkEngine() {
  // The worker first: its tasks use every part.
  core_.Stop();
}

void UnlinkEngine::Start(security::Caller const& caller, v1::StartUnlinkRequest const& request,
                         absl::Time deadline, Answer<google::longrunning::Operation> done) {
  // Backpressure: the queues have a bound; beyond, the caller tries later.
  if (runner_.waiting() + request.targets_size() >
      static_cast<std::size_t>(core_.options().max_waiting_steps)) {
    absl::Status full = adapters::errors::WithErrorInfo(
        absl::ResourceExhaustedError(
            absl::StrCat(runner_.waiting(), " unlink steps wait in this gateway's queues (at most ",
                         core_.options().max_waiting_steps, "); start the job later")),
        "UNLINK_QUEUE_FULL", adapters::errors::kGatewayDomain, {});
    adapters::errors::SetRetryDelay(full, absl::Minutes(1));
    return std::move(done)(full);
  }
  absl::Time now = absl::Now();
  StoredJob job;
  job.fingerprint = FingerprintOf(request);
  auto& m = job.metadata;
  m.set_name(NewOperationName());
  m.set_caller(caller.principal);
  m.set_request_id(request.request_id());
  m.set_priority(request.priority());
  *m.mutable_deadline() = Stamp(now + core_.options().job_deadline);
  *m.mutable_create_time() = Stamp(now);
  *m.mutable_update_time() = Stamp(now);
  for (auto const& target : request.targets()) {
    auto* step = m.add_steps();
    *step->mutable_target() = Redacted(target);
    step->set_state(v1::UNLINK_STEP_STATE_PENDING);
    *step->mutable_update_time() = Stamp(now);
  }
  // Registered before it is stored, so that a claim running meanwhile does
  // not adopt it a second time.
  JobPtr running = MakeJob(job, {request.targets().begin(), request.targets().end()}, caller);
  core_.Register(running);
  std::string const owner = core_.options().owner;
  absl::Time const lease_until = now + core_.options().lease;
  calls_.Run<JobStore::Created>(
      deadline,
      // On the store's thread, whatever the caller's deadline: the job runs
      // once it is stored, and is forgotten when it is not.
      [this, job, owner, lease_until,
       running](JobStore& store) -> absl::StatusOr<JobStore::Created> {
        auto created = store.Create(job, owner, lease_until);
        if (!created.ok() || !created->inserted) {
          core_.Forget(job.metadata.name());
        } else {
          core_.Post([this, running] { leases_.Adopt(running); });
        }
        return created;
      },
      [this, caller, request_id = request.request_id(), fingerprint = job.fingerprint, deadline,
       done = std::move(done)](absl::StatusOr<JobStore::Created> created) mutable {
        if (!created.ok()) return std::move(done)(created.status());
        if (created->inserted) return std::move(done)(OperationOf(created->job));
        if (created->job.fingerprint != fingerprint) {
          return std::move(done)(idempotency::RequestIdReused("StartUnlinkRequest", request_id));
        }
        views_.Get(caller, created->job.metadata.name(), deadline, std::move(done));
      });
}

void UnlinkEngine::Cancel(security::Caller const& caller, std::string const& name,
                          absl::Time deadline, Answer<bool> done) {
  views_.Visible(
      caller, name, deadline,
      [this, name, deadline, done = std::move(done)](absl::StatusOr<StoredJob> job) mutable {
        if (!job.ok()) return std::move(done)(job.status());
        // AIP-151: cancelling a finished operation is a no-op.
        if (job->done) return std::move(done)(true);
        calls_.Run<bool>(
            deadline,
            [this, name](JobStore& store) -> absl::StatusOr<bool> {
              if (absl::Status marked = store.MarkCancelRequested(name); !marked.ok()) {
                return marked;
              }
              core_.Post([this, name] { core_.ApplyCancel(name); });
              return true;
            },
            std::move(done));
      });
}

}  // namespace linkgateway::server::unlink
