// Runs unlink jobs: each target is one step, sent through the call pipeline
// as the single delete it stands for (step_runner.h), on a job this replica
// holds a lease on (lease_keeper.h), with every change written to the job
// store first (engine_core.h) and shown to its caller as it goes
// (job_views.h).
//
// The engine's entry points never block their caller on the store: they
// answer through a callback, within the call's deadline (store_calls.h).
#ifndef LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_
#define LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "google/longrunning/operations.pb.h"
#include "linkgateway/v1/unlink.pb.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/security/caller.h"
#include "server/unlink/engine_core.h"
#include "server/unlink/job_store.h"
#include "server/unlink/job_views.h"
#include "server/unlink/lease_keeper.h"
#include "server/unlink/step_runner.h"
#include "server/unlink/store_calls.h"

namespace linkgateway::server::unlink {

class UnlinkEngine {
 public:
  // All must outlive the engine.
  UnlinkEngine(JobStore& store, call::Pipeline const& pipeline, call::MethodSet const& methods,
               adapters::operation::ProviderRegistry const& providers, EngineOptions options);
  // Stops: steps in flight are left RUNNING in the store (resolved by the
  // next start, as after a crash).
  ~UnlinkEngine();

  // Claims and resumes unfinished jobs now and then every lease/3 (also a
  // dead replica's, once its lease lapsed); renews this replica's leases.
  void StartBackgroundWork() { leases_.Start(); }

  // Stores the job (its targets were checked by the pipeline) and starts
  // it. A repeated request_id returns the caller's existing job; a
  // different job under the same request_id is INVALID_ARGUMENT.
  void Start(security::Caller const& caller, v1::StartUnlinkRequest const& request,
             absl::Time deadline, Answer<google::longrunning::Operation> done);
  // Steps not yet sent end CANCELLED; sent ones finish. NOT_FOUND unless
  // the job is the caller's.
  void Cancel(security::Caller const& caller, std::string const& name, absl::Time deadline,
              Answer<bool> done);

  JobViews& views() { return views_; }

 private:
  EngineCore core_;
  StoreCalls calls_;
  StepRunner runner_;
  LeaseKeeper leases_;
  JobViews views_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_UNLINK_ENGINE_H_
