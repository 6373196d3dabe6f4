// Runs a job's steps: each is sent as the single delete it stands for,
// through the same call pipeline a caller's delete takes (the job's caller,
// its permission at the time of sending, the provider's rules, one audit
// record per attempt), at most max_steps_in_flight at once and
// max_steps_in_flight_per_provider per provider account (its lane, LaneOf).
//
// Paced, and patient: steps wait in their lane's queue (step_queue.h)
// and take only the turns its rate limit has free now, so a job's steps
// never hold up a caller's own call. A step answered by a throttle or a
// transient failure that proves nothing happened (HTTP 429, 503, a
// connection that failed before anything was sent, the provider's
// transaction limit) is tried again later — after a backoff that doubles,
// with jitter, up to retry_max_backoff, or the provider's Retry-After when
// longer — with the attempt, its answer and the next attempt's time in the
// store first. Only permanent refusals end a step FAILED, and whatever is
// not finished by the job's deadline.
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

#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/unlink/engine_core.h"
#include "server/unlink/job.h"
#include "server/unlink/step_queue.h"

namespace linkgateway::server::unlink {

class StepRunner {
 public:
  // All must outlive the runner.
  StepRunner(EngineCore& core, call::Pipeline const& pipeline, call::MethodSet const& methods,
             adapters::operation::ProviderRegistry const& providers)
      : core_(core), pipeline_(pipeline), methods_(methods), providers_(providers) {
    ReportNothingWaiting();
    // A step whose change the store took only on a retry goes on then.
    core_.set_requeue([this](JobPtr const& job, int index) {
      ResumeSaved(job, index);
      Pump();
    });
  }

  // Worker thread. Queues a job's pending steps and resolves the ones found
  // RUNNING (after a restart or a takeover) by the rules above.
  void Recover(JobPtr const& job);
  // Starts queued steps while slots and turns are free, and wakes up again
  // when the next waiting one is due.
  void Pump();

  // Steps waiting in this replica's queues, as of the last pump (any
  // thread).
  std::size_t waiting() const { return waiting_.load(); }
  // Steps ahead of a priority in a lane, as counted once for many jobs.
  using AheadCounts = std::map<std::pair<std::string, int>, std::size_t>;
  // When `job`'s last step should be sent: the steps queued ahead of its
  // waiting ones, at the rate its providers' steps are being sent; nullopt
  // while a rate is not known yet. `counted` keeps the counts for the next
  // job's estimate at the same moment.
  std::optional<absl::Time> EstimatedCompletion(Job const& job, absl::Time now,
                                                AheadCounts& counted);

 private:
  // A lane whose rate limit had no turn is asked again after at least this,
  // even when its next turn seems due at once.
  static constexpr absl::Duration kLeastTurnWait = absl::Milliseconds(2);

  struct ProviderState {
    int in_flight = 0;
    // Asking its rate limit for a turn (delete_turns): one step at a time.
    bool asking = false;
    // No step is sent before this: the rate limit's next free turn.
    absl::Time blocked_until = absl::InfinitePast();
    // When steps were sent lately, for the rate they go at.
    std::deque<absl::Time> sent;
    // Steps wait out a throttle or a transient failure of the provider.
    bool backing_off = false;
  };

  // Pacing and sending (step_runner.cc).
  void Queue(JobPtr const& job, int index, absl::Time not_before);
  // A step whose change landed only on a retry (engine_core.h): waiting,
  // it is queued for its next attempt; queued at its provider, followed.
  void ResumeSaved(JobPtr const& job, int index);
  // Takes a turn of the lane's rate limit (its provider account's), if it
  // has one, then begins the step; without a turn free, the step goes back
  // to its place.
  void TakeTurn(StepQueue::Entry entry, std::string const& lane);
  void Begin(StepQueue::Entry entry, std::string const& lane, bool turn_taken);
  // Ends a step that will not be sent (cancelled, past the job's deadline,
  // its credentials lost): true when it did.
  bool EndedBeforeSend(JobPtr const& job, int index);
  // Worker thread. Records the intent, then lets the call go on
  // (`proceed`), or refuses it.
  void RecordIntent(JobPtr const& job, int index,
                    absl::AnyInvocable<void(absl::Status) &&> proceed);
  // A job past its deadline at `when`: the step ends FAILED (true), from
  // `base` when given (the step with its last attempt).
  bool PastDeadline(JobPtr const& job, int index, absl::Time when,
                    v1::UnlinkStep const* base = nullptr);
  void WakeAt(absl::Time when);
  // The queues' gauges, at most once a second, and again within seconds while
  // a step waits (so its age grows even when nothing else happens).
  void Report(absl::Time now);
  // Every configured provider account's gauges at 0, before its first step.
  void ReportNothingWaiting();
  double RateOf(std::string const& lane, absl::Time now);

  // What an answer leads to (step_outcomes.cc).
  void OnOutcome(StepQueue::Entry entry, std::string const& lane, call::Outcome outcome,
                 call::Call const& call);
  // How long a step answered `status` waits before its next attempt;
  // nullopt when the answer ends it.
  std::optional<absl::Duration> RetryDelay(v1::UnlinkStep const& step, absl::Status const& status,
                                           int sends) const;
  // The provider answered a step (it is up and took the call): steps of
  // `lane` backing off from its throttles go on now, at the paced rate,
  // rather than each when its own backoff ends.
  void ProviderAnswered(std::string const& lane);
  // Writes the attempt to the step's history, the step back to PENDING with
  // its next attempt's time, and queues it.
  void TryLater(JobPtr const& job, int index, v1::UnlinkStep step, absl::Status const& status,
                absl::Duration delay);
  void Follow(JobPtr const& job, int index, absl::Time give_up, absl::Duration interval);
  void OnQueuedState(JobPtr const& job, int index,
                     absl::StatusOr<adapters::operation::FollowUp::State> state, absl::Time give_up,
                     absl::Duration interval);

  EngineCore& core_;
  call::Pipeline const& pipeline_;
  call::MethodSet const& methods_;
  adapters::operation::ProviderRegistry const& providers_;
  // Worker thread only.
  StepQueue queue_;
  std::map<std::string, ProviderState> state_;
  int in_flight_ = 0;
  absl::Time wake_at_ = absl::InfiniteFuture();
  absl::Time reported_ = absl::InfinitePast();
  mutable std::mt19937_64 random_{std::random_device{}()};
  std::atomic<std::size_t> waiting_{0};
};

// The queued transaction a step follows ("" when none), also as recorded by
// gateways that wrote only the provider-named fields.
std::string TransactionIdOf(v1::UnlinkStep const& step);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_STEP_RUNNER_H_
