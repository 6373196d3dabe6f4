#include "server/unlink/step_runner.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "observability/log/log.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {
namespace {

namespace errors = adapters::errors;
namespace log = observability::log;
using google::protobuf::FieldDescriptor;

constexpr absl::Duration kMaxFollowInterval = absl::Seconds(30);
// A step refused for a reason of the gateway's own waits this long.
constexpr absl::Duration kGatewayRetry = absl::Seconds(1);
// A provider whose rate limit had no turn is asked again after at least
// this, even when its next turn seems due at once.
constexpr absl::Duration kLeastTurnWait = absl::Milliseconds(2);

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

// Answers that prove the provider did not act (it refused, or was not
// reached): the link is still there.
bool ProvesNothingHappened(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

bool AlreadyDeleted(google::protobuf::Message const& response) {
  auto const* field = response.GetDescriptor()->FindFieldByName("already_deleted");
  return field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL &&
         response.GetReflection()->GetBool(response, field);
}

// A refusal of the gateway's own that passes (the audit trail cannot
// record, the step's intent could not be recorded): nothing was sent.
bool GatewayWillRecover(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return errors::FindDetail(status, info) && (info.reason() == errors::reason::kAuditUnavailable ||
                                              info.reason() == "INTENT_NOT_RECORDED");
}

// The step's provider-named copy of a generic field (e.g. the provider
// "imiconnect"'s `imiconnect_transaction_id`), where the API has one.
FieldDescriptor const* ProviderNamed(std::string const& provider, char const* suffix) {
  return v1::UnlinkStep::descriptor()->FindFieldByName(absl::StrCat(provider, "_", suffix));
}

void SetTransaction(v1::UnlinkStep& step, std::string const& provider, std::string const& id,
                    v1::ProfileTransactionState state) {
  if (!id.empty()) step.set_transaction_id(id);
  step.set_transaction_state(state);
  auto const* reflection = step.GetReflection();
  if (auto const* f = ProviderNamed(provider, "transaction_id");
      f != nullptr && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !id.empty()) {
    reflection->SetString(&step, f, id);
  }
  if (auto const* f = ProviderNamed(provider, "transaction_state");
      f != nullptr && f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    reflection->SetEnumValue(&step, f, state);
  }
}

}  // namespace

std::string TransactionIdOf(v1::UnlinkStep const& step) {
  if (!step.transaction_id().empty()) return step.transaction_id();
  auto const* f = ProviderNamed(ProviderOfTarget(step.target()), "transaction_id");
  if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return "";
  return step.GetReflection()->GetString(step, f);
}

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

std::optional<absl::Duration> StepRunner::RetryDelay(v1::UnlinkStep const& step,
                                                     absl::Status const& status, int sends) const {
  switch (status.code()) {
    // The provider throttled or could not take the call: it did not act.
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      break;
    // Nothing was sent: trying again is safe.
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnknown:
      if (sends == 0 && !core_.stopping()) break;
      return std::nullopt;
    default:
      return std::nullopt;
  }
  auto const& options = core_.options();
  absl::Duration delay = options.retry_initial_backoff;
  for (int i = 0; i < step.history_size() && delay < options.retry_max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options.retry_max_backoff);
  // Full jitter over the upper half, so retries of many steps spread out.
  delay = delay / 2 + absl::Seconds(absl::ToDoubleSeconds(delay / 2) *
                                    (static_cast<double>(random_() % 1000) / 1000.0));
  if (auto asked = errors::RetryDelayOf(status); asked.has_value()) {
    delay = std::max(delay, *asked);
  }
  return delay;
}

void StepRunner::ProviderAnswered(std::string const& lane) {
  ProviderState& state = state_[lane];
  if (!state.backing_off) return;
  state.backing_off = false;
  if (std::size_t released = queue_.Release(lane); released > 0) {
    log::Info("unlink: ", lane, " answers again; ", released,
              " steps waiting out its throttles go on now");
  }
}

void StepRunner::TryLater(JobPtr const& job, int index, v1::UnlinkStep step,
                          absl::Status const& status, absl::Duration delay) {
  absl::Time now = absl::Now();
  absl::Time next = now + delay;
  constexpr int kHistory = 20;
  auto* attempt = step.add_history();
  *attempt->mutable_time() = Stamp(now);
  *attempt->mutable_status() = errors::ToRpcStatus(status);
  *attempt->mutable_next_attempt_time() = Stamp(next);
  if (step.history_size() > kHistory) {
    step.mutable_history()->DeleteSubrange(0, step.history_size() - kHistory);
  }
  // The next attempt would come after the job's deadline: this one was the
  // last.
  if (PastDeadline(job, index, next, &step)) return;
  step.set_state(v1::UNLINK_STEP_STATE_PENDING);
  *step.mutable_next_attempt_time() = Stamp(next);
  // Nothing happened at the provider: the step waits again, its next
  // attempt's time on disk first (a failed write is retried until it lands,
  // and the step is queued then).
  if (!core_.Save(job, index, std::move(step), /*outcome=*/true)) return;
  core_.Notify(job);
  Queue(job, index, next);
}

void StepRunner::OnOutcome(StepQueue::Entry entry, std::string const& lane, call::Outcome outcome,
                           call::Call const& call) {
  JobPtr const job = entry.job;
  int const index = entry.index;
  if (job->dropped) return;
  auto const& m = job->stored.metadata;
  std::string const provider = ProviderOfTarget(m.steps(index).target());
  int const sends = call.trace->sends.load();
  absl::Status const status = outcome.result.status();
  google::rpc::ErrorInfo info;
  bool const limited = sends == 0 && errors::FindDetail(status, info) &&
                       info.reason() == errors::reason::kClientRateLimited;
  if (limited) {
    // No turn was free: the provider's steps wait for the next one, this
    // one in its place. Its intent is taken back (nothing was sent).
    absl::Time now = absl::Now();
    state_[lane].blocked_until =
        now + std::max(kLeastTurnWait, errors::RetryDelayOf(status).value_or(absl::Seconds(1)));
    v1::UnlinkStep step = m.steps(index);
    step.set_state(v1::UNLINK_STEP_STATE_PENDING);
    step.set_attempts(std::max(0, step.attempts() - 1));
    if (!core_.Save(job, index, std::move(step), /*outcome=*/true)) return;
    return queue_.Return(lane, std::move(entry), absl::InfinitePast());
  }
  if (sends == 0 && (GatewayWillRecover(status) || (!outcome.audit.ok() && !outcome.result.ok()))) {
    // Nothing was sent and the gateway will be able to: the step waits.
    return queue_.Return(lane, std::move(entry), absl::Now() + kGatewayRetry);
  }
  state_[lane].sent.push_back(absl::Now());
  if (status.ok() || status.code() == absl::StatusCode::kNotFound) ProviderAnswered(lane);
  v1::UnlinkStep step = m.steps(index);
  if (std::string id = outcome.record.upstream().request_id(); !id.empty()) {
    step.set_upstream_request_id(std::move(id));
  }
  if (status.ok()) {
    google::protobuf::Message const& response = **outcome.result;
    if (auto follow_up = providers_.follow_ups.find(provider);
        follow_up != providers_.follow_ups.end()) {
      if (std::string id = follow_up->second.id_of(response); !id.empty()) {
        // Accepted into the provider's queue: done only when the queue says.
        SetTransaction(step, provider, id, v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
        if (!core_.Save(job, index, std::move(step), /*outcome=*/true)) return;
        core_.Notify(job);
        return Follow(job, index, absl::Now() + core_.options().follow_for,
                      core_.options().follow_interval);
      }
    }
    return core_.FinishStep(job, index,
                            AlreadyDeleted(response) ? v1::UNLINK_STEP_STATE_ALREADY_GONE
                                                     : v1::UNLINK_STEP_STATE_SUCCEEDED,
                            absl::OkStatus(), &step);
  }
  if (status.code() == absl::StatusCode::kNotFound) {
    // The provider says the link does not exist: the end state holds.
    return core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_ALREADY_GONE, status, &step);
  }
  if (!m.cancel_requested()) {
    if (auto delay = RetryDelay(step, status, sends); delay.has_value()) {
      return TryLater(job, index, std::move(step), status, *delay);
    }
  }
  if (sends == 0 || ProvesNothingHappened(status.code())) {
    return core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_FAILED, status, &step);
  }
  if (providers_.repeatable_deletes.contains(provider) &&
      step.attempts() < core_.options().max_attempts && !m.cancel_requested()) {
    // Still RUNNING in the store: re-sent after a crash too.
    return Queue(job, index, absl::InfinitePast());
  }
  core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN, status, &step);
}

void StepRunner::Follow(JobPtr const& job, int index, absl::Time give_up, absl::Duration interval) {
  if (job->dropped || core_.stopping()) return;
  auto const& step = job->stored.metadata.steps(index);
  std::string provider = ProviderOfTarget(step.target());
  auto follow_up = providers_.follow_ups.find(provider);
  if (follow_up == providers_.follow_ups.end()) {
    return OnQueuedState(
        job, index,
        absl::UnimplementedError(absl::StrCat("no operation reads the queued work of ", provider)),
        give_up, interval);
  }
  adapters::operation::CallContext context{absl::Now() + core_.options().step_deadline,
                                           core_.stop_signal(), nullptr, absl::ZeroDuration()};
  follow_up->second.read(
      context, AccountOfTarget(step.target()), TransactionIdOf(step),
      [post = core_.poster(), this, job, index, give_up,
       interval](absl::StatusOr<adapters::operation::FollowUp::State> state) mutable {
        post([this, job, index, give_up, interval, state = std::move(state)]() mutable {
          OnQueuedState(job, index, std::move(state), give_up, interval);
        });
      });
}

void StepRunner::OnQueuedState(JobPtr const& job, int index,
                               absl::StatusOr<adapters::operation::FollowUp::State> state,
                               absl::Time give_up, absl::Duration interval) {
  if (job->dropped) return;
  v1::UnlinkStep step = job->stored.metadata.steps(index);
  std::string const id = TransactionIdOf(step);
  if (state.ok()) {
    if (state->state != step.transaction_state()) {
      SetTransaction(step, ProviderOfTarget(step.target()), id, state->state);
      if (!core_.Save(job, index, step, /*outcome=*/true)) return;
      core_.Notify(job);
    }
    std::string said =
        absl::StrCat(state->code.empty() ? "" : absl::StrCat(" code ", state->code),
                     state->description.empty() ? "" : absl::StrCat(": ", state->description));
    switch (state->state) {
      case v1::PROFILE_TRANSACTION_STATE_SUCCEEDED:
        return core_.FinishStep(job, index, v1::UNLINK_STEP_STATE_SUCCEEDED, absl::OkStatus());
      case v1::PROFILE_TRANSACTION_STATE_FAILED:
      case v1::PROFILE_TRANSACTION_STATE_PARTIALLY_SUCCEEDED:
        return core_.FinishStep(
            job, index, v1::UNLINK_STEP_STATE_FAILED,
            errors::WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                                      "the provider reports queued transaction ", id, " ",
                                      v1::ProfileTransactionState_Name(state->state), said)),
                                  "QUEUED_DELETE_FAILED", errors::kGatewayDomain,
                                  {{"transactionId", id}}));
      default:
        break;
    }
  }
  absl::Time now = absl::Now();
  google::rpc::ErrorInfo info;
  if (!state.ok() && now < give_up && errors::FindDetail(state.status(), info) &&
      info.reason() == errors::reason::kClientRateLimited) {
    // The gateway's own limit had no turn for the read (the provider counts
    // reads too; nothing was sent): read again at its next turn, at the same
    // pace, so deletes taking every turn cannot stretch a step's follow-up.
    absl::Duration wait =
        std::max(kLeastTurnWait, errors::RetryDelayOf(state.status()).value_or(kLeastTurnWait));
    core_.worker().PostAt(std::min(now + wait, give_up), [this, job, index, give_up, interval] {
      Follow(job, index, give_up, interval);
    });
    return;
  }
  if (now >= give_up) {
    return core_.FinishStep(
        job, index, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN,
        errors::WithErrorInfo(
            absl::UnknownError(absl::StrCat(
                "queued transaction ", id, " had no final state after ",
                absl::FormatDuration(core_.options().follow_for),
                state.ok() ? "" : absl::StrCat(" (last read: ", state.status().message(), ")"),
                "; the delete may still happen: check it with GetProfileTransaction")),
            errors::reason::kUpstreamOutcomeUnknown, errors::kGatewayDomain,
            {{"transactionId", id}}));
  }
  absl::Duration next = std::min(interval * 2, kMaxFollowInterval);
  core_.worker().PostAt(std::min(now + interval, give_up),
                        [this, job, index, give_up, next] { Follow(job, index, give_up, next); });
}

}  // namespace linkgateway::server::unlink
