// What a step's answer leads to (StepRunner, step_runner.h): the end of the
// step, another attempt later, or its provider's queue followed to the
// final state. The runner's pacing and sending are in step_runner.cc.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "google/rpc/error_details.pb.h"
#include "observability/log/log.h"
#include "server/unlink/step_runner.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {
namespace {

namespace errors = adapters::errors;
namespace log = observability::log;
using google::protobuf::FieldDescriptor;

constexpr absl::Duration kMaxFollowInterval = absl::Seconds(30);
// A step refused for a reason of the gateway's own waits this long.
constexpr absl::Duration kGatewayRetry = absl::Seconds(1);

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
    auto follow_up = providers_.follow_ups.find(ProviderOfTarget(step.target()));
    std::string const read_rpc =
        follow_up == providers_.follow_ups.end() ? "" : follow_up->second.read_rpc;
    return core_.FinishStep(
        job, index, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN,
        errors::WithErrorInfo(
            absl::UnknownError(absl::StrCat(
                "queued transaction ", id, " had no final state after ",
                absl::FormatDuration(core_.options().follow_for),
                state.ok() ? "" : absl::StrCat(" (last read: ", state.status().message(), ")"),
                "; the delete may still happen",
                read_rpc.empty() ? "" : absl::StrCat(": check it with ", read_rpc))),
            errors::reason::kUpstreamOutcomeUnknown, errors::kGatewayDomain,
            {{"transactionId", id}}));
  }
  absl::Duration next = std::min(interval * 2, kMaxFollowInterval);
  core_.worker().PostAt(std::min(now + interval, give_up),
                        [this, job, index, give_up, next] { Follow(job, index, give_up, next); });
}

}  // namespace linkgateway::server::unlink
