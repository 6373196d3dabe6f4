#include "server/unlink/step_runner.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {
namespace {

namespace errors = adapters::errors;

absl::Time NextAttemptOf(v1::UnlinkStep const& step) {
  if (!step.has_next_attempt_time()) return absl::InfinitePast();
  return absl::FromUnixMicros(
      google::protobuf::util::TimeUtil::TimestampToMicroseconds(step.next_attempt_time()));
}

absl::Status StoppingNothingSent() {
  return errors::WithErrorInfo(
      absl::UnavailableError("the gateway is stopping; the step was not sent"), "STOPPING",
      errors::kGatewayDomain, {});
}

}  // namespace

void StepRunner::Queue(JobPtr const& job, int index, absl::Time not_before) {
  std::string lane = LaneOf(job->stored.metadata.steps(index).target());
  absl::Time now = absl::Now();
  // Only a step backing off is queued for later (a throttle, a transient
  // failure, also one recorded before a restart).
  if (not_before > now) state_[lane].backing_off = true;
  queue_.Add(lane, job, index, job->stored.metadata.priority(), not_before, now);
}

void StepRunner::ResumeSaved(JobPtr const& job, int index) {
  auto const& step = job->stored.metadata.steps(index);
  if (step.state() == v1::UNLINK_STEP_STATE_PENDING) {
    Queue(job, index, NextAttemptOf(step));
  } else if (step.state() == v1::UNLINK_STEP_STATE_RUNNING && !TransactionIdOf(step).empty()) {
    Follow(job, index, absl::Now() + core_.options().follow_for, core_.options().follow_interval);
  }
}

void StepRunner::Recover(JobPtr const& job) {
  auto const& m = job->stored.metadata;
  for (int i = 0; i < m.steps_size(); ++i) {
    auto const& step = m.steps(i);
    switch (step.state()) {
      case v1::UNLINK_STEP_STATE_PENDING:
        if (m.cancel_requested()) {
          core_.FinishStep(job, i, v1::UNLINK_STEP_STATE_CANCELLED,
                           absl::CancelledError("cancelled before it was sent"));
        } else {
          // A throttled step keeps its next attempt's time across restarts.
          Queue(job, i, NextAttemptOf(step));
        }
        break;
      case v1::UNLINK_STEP_STATE_RUNNING: {
        if (!TransactionIdOf(step).empty()) {
          Follow(job, i, absl::Now() + core_.options().follow_for, core_.options().follow_interval);
          break;
        }
        std::string provider = ProviderOfTarget(step.target());
        if (providers_.repeatable_deletes.contains(provider) &&
            step.attempts() < core_.options().max_attempts && !m.cancel_requested()) {
          // A repeat is harmless and its answer proves the end state.
          Queue(job, i, absl::InfinitePast());
          break;
        }
        core_.FinishStep(
            job, i, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN,
            errors::WithErrorInfo(
                absl::UnknownError(
                    absl::StrCat("the gateway stopped after sending this delete (attempt ",
                                 step.attempts(), ", recorded ",
                                 absl::FormatTime(absl::FromUnixMicros(
                                     google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                                         step.update_time()))),
                                 ") and before its answer; ", provider,
                                 " deletes are never sent twice: check the link at the provider")),
                errors::reason::kUpstreamOutcomeUnknown, errors::kGatewayDomain,
                {{"provider", provider}, {"attempts", absl::StrCat(step.attempts())}}));
        break;
      }
      default:
        break;
    }
  }
}

void StepRunner::Pump() {
  if (core_.stopping()) return;
  auto const& options = core_.options();
  absl::Time now = absl::Now();
  // One step per lane (provider account) per round, so no lane's queue
  // holds up the others'; each within its own slots and the turns its rate
  // limit has.
  for (bool sent = true; sent && in_flight_ < options.max_steps_in_flight;) {
    sent = false;
    for (std::string const& lane : queue_.Providers()) {
      if (in_flight_ >= options.max_steps_in_flight) break;
      ProviderState& state = state_[lane];
      if (state.asking || state.in_flight >= options.max_steps_in_flight_per_provider ||
          state.blocked_until > now) {
        continue;
      }
      auto entry = queue_.Take(lane, now);
      if (!entry.has_value()) continue;
      sent = true;
      if (!entry->job->dropped) TakeTurn(*std::move(entry), lane);
    }
  }
  absl::Time next = absl::InfiniteFuture();
  for (std::string const& lane : queue_.Providers()) {
    absl::Time blocked = state_[lane].blocked_until;
    next = std::min(next, blocked > now ? blocked : queue_.NextDue(lane));
  }
  WakeAt(next);
  waiting_.store(queue_.Waiting());
  Report(now);
}

void StepRunner::WakeAt(absl::Time when) {
  if (when == absl::InfiniteFuture() || when >= wake_at_) return;
  wake_at_ = when;
  core_.worker().PostAt(when, [this, when] {
    if (wake_at_ == when) wake_at_ = absl::InfiniteFuture();
    Pump();
  });
}

void StepRunner::ReportNothingWaiting() {
  auto* metrics = core_.options().metrics;
  providers_.ForEachTable([this, metrics](auto const& table) {
    using Request = typename std::decay_t<decltype(table)>::RequestType;
    table.ForEach([this, metrics](int target_case, std::string const& account, auto const&) {
      auto const* field = Request::descriptor()->FindFieldByNumber(target_case);
      if (field == nullptr) return;
      std::string lane = adapters::operation::LaneOf(field->name(), account);
      if (!state_.emplace(std::move(lane), ProviderState{}).second) return;
      if (metrics != nullptr) metrics->UnlinkQueue(field->name(), account, 0, absl::ZeroDuration());
    });
  });
}

void StepRunner::Report(absl::Time now) {
  constexpr absl::Duration kEvery = absl::Seconds(1);
  constexpr absl::Duration kWhileWaiting = absl::Seconds(5);
  if (now - reported_ < kEvery) {
    // A change since the last report shows within a second, even when
    // nothing pumps again.
    WakeAt(reported_ + kEvery);
    return;
  }
  reported_ = now;
  if (queue_.Waiting() > 0) WakeAt(now + kWhileWaiting);
  if (auto* metrics = core_.options().metrics; metrics != nullptr) {
    for (auto const& [lane, state] : state_) {
      auto slash = lane.find('/');
      metrics->UnlinkQueue(
          lane.substr(0, slash), slash == std::string::npos ? "" : lane.substr(slash + 1),
          static_cast<std::int64_t>(queue_.Waiting(lane)), queue_.OldestWait(lane, now));
    }
  }
  // Each running job's estimate, from the queues as they stand; what is
  // ahead of a priority in a lane is counted once (10,000 jobs each walking
  // a queue of 40,000 steps kept the worker busy for good).
  AheadCounts ahead;
  core_.ForEachJob([this, now, &ahead](Job& job) {
    auto eta = EstimatedCompletion(job, now, ahead);
    if (eta.has_value()) {
      *job.stored.metadata.mutable_estimated_completion_time() = Stamp(*eta);
    } else {
      job.stored.metadata.clear_estimated_completion_time();
    }
  });
}

double StepRunner::RateOf(std::string const& lane, absl::Time now) {
  auto& sent = state_[lane].sent;
  while (!sent.empty() && now - sent.front() > absl::Minutes(1)) sent.pop_front();
  if (sent.size() < 2) return 0;
  return static_cast<double>(sent.size()) /
         std::max(absl::ToDoubleSeconds(now - sent.front()), 1.0);
}

std::optional<absl::Time> StepRunner::EstimatedCompletion(Job const& job, absl::Time now,
                                                          AheadCounts& counted) {
  absl::Time done = now;
  for (auto const& step : job.stored.metadata.steps()) {
    if (step.state() != v1::UNLINK_STEP_STATE_PENDING) continue;
    std::string lane = LaneOf(step.target());
    double rate = RateOf(lane, now);
    if (rate <= 0) return std::nullopt;
    int const priority = job.stored.metadata.priority();
    auto [counted_ahead, inserted] = counted.try_emplace({lane, priority}, 0);
    if (inserted) counted_ahead->second = queue_.Ahead(lane, priority);
    std::size_t const ahead = counted_ahead->second + 1;
    done = std::max(done, now + absl::Seconds(static_cast<double>(ahead) / rate));
  }
  return done;
}

bool StepRunner::PastDeadline(JobPtr const& job, int index, absl::Time when,
                              v1::UnlinkStep const* base) {
  auto const& m = job->stored.metadata;
  if (!m.has_deadline()) return false;
  absl::Time deadline =
      absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(m.deadline()));
  if (when <= deadline) return false;
  auto const& step = base != nullptr ? *base : m.steps(index);
  std::string last = step.history().empty()
                         ? ""
                         : absl::StrCat("; its last attempt was answered: ",
                                        step.history().rbegin()->status().message());
  core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_FAILED,
                   errors::WithErrorInfo(absl::DeadlineExceededError(absl::StrCat(
                                             "the job's deadline (", absl::FormatTime(deadline),
                                             ") passed before this step could be sent", last)),
                                         "JOB_DEADLINE_EXCEEDED", errors::kGatewayDomain, {}),
                   base);
  return true;
}

void StepRunner::TakeTurn(StepQueue::Entry entry, std::string const& lane) {
  auto turns = providers_.delete_turns.find(lane);
  if (turns == providers_.delete_turns.end()) return Begin(std::move(entry), lane, false);
  // A step that ends without a send takes no turn from the others.
  if (EndedBeforeSend(entry.job, entry.index)) return;
  state_[lane].asking = true;
  // Answered on any thread (the shared limit asks Redis), handled on the
  // worker, after this pump.
  auto pending = std::make_shared<StepQueue::Entry>(std::move(entry));
  turns->second([post = core_.poster(), this, pending, lane](absl::Duration wait) {
    post([this, pending, lane, wait] {
      state_[lane].asking = false;
      if (wait <= absl::ZeroDuration()) {
        Begin(std::move(*pending), lane, true);
      } else {
        // No write, nothing sent: the step keeps its place until the turn.
        state_[lane].blocked_until = absl::Now() + std::max(wait, kLeastTurnWait);
        queue_.Return(lane, std::move(*pending), absl::InfinitePast());
      }
      Pump();
    });
  });
}

bool StepRunner::EndedBeforeSend(JobPtr const& job, int index) {
  auto const& m = job->stored.metadata;
  // Ended while it waited (e.g. cancelled).
  if (Terminal(m.steps(index).state())) return true;
  if (m.cancel_requested()) {
    core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_CANCELLED,
                     absl::CancelledError("cancelled before it was sent"));
    return true;
  }
  if (PastDeadline(job, index, absl::Now())) return true;
  if (job->secrets_missing[index]) {
    core_.FinishStep(
        job, index, v1::UNLINK_STEP_STATE_FAILED,
        absl::FailedPreconditionError(
            "the target's credentials (e.g. an access token) are kept in memory only and were "
            "lost when the gateway restarted before this step was sent; start a new job for "
            "this target"));
    return true;
  }
  return false;
}

void StepRunner::Begin(StepQueue::Entry entry, std::string const& lane, bool turn_taken) {
  JobPtr const& job = entry.job;
  int const index = entry.index;
  auto const& m = job->stored.metadata;
  if (EndedBeforeSend(job, index)) return;
  auto single = SingleDeleteFor(job->targets[index]);
  if (!single.ok()) {
    return core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_FAILED, single.status());
  }
  call::Method const* method = methods_.ForRequest(single->request->GetDescriptor());
  if (method == nullptr) {
    return core_.FinishStep(
        job, index, v1::UNLINK_STEP_STATE_FAILED,
        absl::UnimplementedError(absl::StrCat(single->request->GetDescriptor()->full_name(),
                                              " is not a delete this gateway serves")));
  }
  auto call = std::make_shared<call::Call>();
  call->facts.method = method->path();
  call->facts.caller = job->caller;
  call->facts.start = absl::Now();
  call->deadline = call->facts.start + core_.options().step_deadline;
  call->cancellation = core_.stop_signal();
  // Queued work takes only a turn its provider's rate limit has free now:
  // it never waits there ahead of a caller's own call.
  call->max_queue_wait = absl::ZeroDuration();
  if (turn_taken) call->turn_taken = std::make_shared<std::atomic<bool>>(true);
  call->unlink_operation = m.name();
  call->unlink_step = index;
  // The policy, the provider's rules and the audit trail are asked now, as
  // for the single delete; the intent is recorded last, just before the send.
  call->before_run = [post = core_.poster(), this, job,
                      index](absl::AnyInvocable<void(absl::Status) &&> proceed) {
    // Through the gate: the pipeline may get here on another thread, after
    // the engine stopped; then nothing is sent.
    auto pending = std::make_shared<absl::AnyInvocable<void(absl::Status) &&>>(std::move(proceed));
    if (!post([this, job, index, pending] { RecordIntent(job, index, std::move(*pending)); })) {
      std::move (*pending)(StoppingNothingSent());
    }
  };
  ++in_flight_;
  ++state_[lane].in_flight;
  if (core_.options().metrics != nullptr) core_.options().metrics->unlink_steps_in_flight().Add(1);
  std::shared_ptr<google::protobuf::Message const> request = std::move(single->request);
  pipeline_.Run(
      call, *method, request,
      [post = core_.poster(), this, entry = std::move(entry), lane,
       call](call::Outcome outcome) mutable {
        post([this, entry = std::move(entry), lane, call, outcome = std::move(outcome)]() mutable {
          --in_flight_;
          --state_[lane].in_flight;
          if (core_.options().metrics != nullptr) {
            core_.options().metrics->unlink_steps_in_flight().Add(-1);
          }
          OnOutcome(std::move(entry), lane, std::move(outcome), *call);
          Pump();
        });
      });
}

void StepRunner::RecordIntent(JobPtr const& job, int index,
                              absl::AnyInvocable<void(absl::Status) &&> proceed) {
  // Left as it is in the store: the next start resumes it.
  if (core_.stopping()) return std::move(proceed)(StoppingNothingSent());
  v1::UnlinkStep step = job->stored.metadata.steps(index);
  step.set_state(v1::UNLINK_STEP_STATE_RUNNING);
  step.set_attempts(step.attempts() + 1);
  step.clear_status();
  step.clear_next_attempt_time();
  // The intent, on disk before anything is sent.
  if (job->dropped || !core_.Save(job, index, std::move(step))) {
    return std::move(proceed)(errors::WithErrorInfo(
        absl::UnavailableError("the step's intent could not be recorded; nothing was sent"),
        "INTENT_NOT_RECORDED", errors::kGatewayDomain, {}));
  }
  std::move(proceed)(absl::OkStatus());
}

}  // namespace linkgateway::server::unlink
