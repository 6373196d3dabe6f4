// Runs a job's steps: each is sent as the single delete it stands for, through
// the same call pipeline a caller's delete takes (the job's caller, its
// permission at the time of sending, the provider's rules, one audit record
// per attempt), at most max_steps_in_flight at once.
//
// Exactly once, or honestly unknown: a step's intent (RUNNING, attempt n) is
// in the store before its request is started (Call::before_run), and its
// outcome after the answer. A step found RUNNING without an outcome (the
// gateway stopped, or the answer proved nothing) is sent again only for
// providers whose repeat is harmless and proves the end state
// (ProviderRegistry::repeatable_deletes); otherwise it ends OUTCOME_UNKNOWN
// with the evidence. A queued delete (its provider's FollowUp found an id in
// the answer) is followed until its final state.
#ifndef LINKGATEWAY_SERVER_UNLINK_STEP_RUNNER_H_
#define LINKGATEWAY_SERVER_UNLINK_STEP_RUNNER_H_

#include <deque>
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/unlink/engine_core.h"
#include "server/unlink/job.h"

namespace linkgateway::server::unlink {

class StepRunner {
 public:
  // All must outlive the runner.
  StepRunner(EngineCore& core, call::Pipeline const& pipeline, call::MethodSet const& methods,
             adapters::operation::ProviderRegistry const& providers)
      : core_(core), pipeline_(pipeline), methods_(methods), providers_(providers) {}

  // Worker thread. Queues a job's pending steps and resolves the ones found
  // RUNNING (after a restart or a takeover) by the rules above.
  void Recover(JobPtr const& job);
  // Starts queued steps while slots are free.
  void Pump();

 private:
  void Begin(JobPtr const& job, int index);
  // Records the intent, then lets the call go on (`proceed`), or refuses it.
  void RecordIntent(JobPtr const& job, int index,
                    absl::AnyInvocable<void(absl::Status) &&> proceed);
  void OnOutcome(JobPtr const& job, int index, call::Outcome outcome, call::Call const& call);
  // Tries a step that was refused for a reason of the gateway's own (the
  // audit trail, the store) again after `delay`.
  void RetryLater(JobPtr const& job, int index, absl::Duration delay);
  void Follow(JobPtr const& job, int index, absl::Time give_up, absl::Duration interval);
  void OnQueuedState(JobPtr const& job, int index,
                     absl::StatusOr<adapters::operation::FollowUp::State> state, absl::Time give_up,
                     absl::Duration interval);

  EngineCore& core_;
  call::Pipeline const& pipeline_;
  call::MethodSet const& methods_;
  adapters::operation::ProviderRegistry const& providers_;
  // Worker thread only.
  std::deque<std::pair<JobPtr, int>> ready_;
  int in_flight_ = 0;
};

// The queued transaction a step follows ("" when none), also as recorded by
// gateways that wrote only the provider-named fields.
std::string TransactionIdOf(v1::UnlinkStep const& step);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_STEP_RUNNER_H_
