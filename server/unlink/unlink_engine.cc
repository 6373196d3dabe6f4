#include "server/unlink/unlink_engine.h"

#include <openssl/rand.h>

#include <atomic>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "observability/log/log.h"
#include "server/audit/audit_record.h"
#include "server/call/dispatch.h"
#include "server/idempotency/records.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {

using google::protobuf::util::TimeUtil;

namespace {

constexpr absl::Duration kMaxFollowInterval = absl::Seconds(30);

google::protobuf::Timestamp Stamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

bool Terminal(v1::UnlinkStepState state) {
  return state != v1::UNLINK_STEP_STATE_PENDING && state != v1::UNLINK_STEP_STATE_RUNNING &&
         state != v1::UNLINK_STEP_STATE_UNSPECIFIED;
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
  return field != nullptr && field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL &&
         response.GetReflection()->GetBool(response, field);
}

std::string ProviderOfTarget(v1::UnlinkTarget const& target) {
  auto single = SingleDeleteFor(target);
  return single.ok() ? single->provider : "";
}

// A check of one target failed: the same error naming the target.
absl::Status ForTarget(int index, absl::Status status) {
  std::string prefix = absl::StrCat("targets[", index, "]");
  google::rpc::BadRequest bad;
  if (adapters::errors::FindDetail(status, bad)) {
    for (auto& violation : *bad.mutable_field_violations()) {
      violation.set_field(absl::StrCat(prefix, ".", violation.field()));
    }
    adapters::errors::AttachDetail(status, bad);
  }
  absl::Status named(status.code(), absl::StrCat(prefix, ": ", status.message()));
  status.ForEachPayload([&named](absl::string_view url, absl::Cord const& payload) {
    named.SetPayload(url, payload);
  });
  return named;
}

}  // namespace

struct UnlinkEngine::Job {
  StoredJob stored;  // changed on the worker under mu_
  // The targets as started (with credentials) or, after a restart, as
  // stored (without): secrets_missing says which lack what they need.
  std::vector<v1::UnlinkTarget> targets;
  std::vector<bool> secrets_missing;
  absl::flat_hash_map<std::int64_t, Watcher> watchers;  // under mu_
  bool dropped = false;                                 // worker only
  // Who started it and how they proved it; after a restart, the stored
  // principal only.
  security::Caller caller;
};

// Lets adapter callbacks reach the engine only while it lives.
struct Gate {
  absl::Mutex mu;
  Worker* worker ABSL_GUARDED_BY(mu) = nullptr;
  void Post(absl::AnyInvocable<void() &&> task) {
    absl::MutexLock lock(&mu);
    if (worker != nullptr) worker->Post(std::move(task));
  }
};

std::string NewOperationName() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // OpenSSL's generator does not fail once seeded; a name must never repeat.
    observability::log::Error("unlink: no random bytes for an operation name");
    std::abort();
  }
  bytes[6] = (bytes[6] & 0x0F) | 0x40;
  bytes[8] = (bytes[8] & 0x3F) | 0x80;
  std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(bytes), sizeof(bytes)));
  return absl::StrCat("operations/unlink/", hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-", hex.substr(20, 12));
}

google::longrunning::Operation OperationOf(StoredJob const& job) {
  google::longrunning::Operation op;
  op.set_name(job.metadata.name());
  op.mutable_metadata()->PackFrom(job.metadata);
  if (!job.done) return op;
  op.set_done(true);
  int unknown = 0, failed = 0, cancelled = 0;
  absl::StatusCode first_failure = absl::StatusCode::kOk;
  std::vector<std::string> problems;
  for (int i = 0; i < job.metadata.steps_size(); ++i) {
    auto const& step = job.metadata.steps(i);
    switch (step.state()) {
      case v1::UNLINK_STEP_STATE_SUCCEEDED:
      case v1::UNLINK_STEP_STATE_ALREADY_GONE:
        continue;
      case v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN:
        ++unknown;
        break;
      case v1::UNLINK_STEP_STATE_CANCELLED:
        ++cancelled;
        break;
      default:
        ++failed;
        if (first_failure == absl::StatusCode::kOk) {
          first_failure = static_cast<absl::StatusCode>(step.status().code());
          if (first_failure == absl::StatusCode::kOk) first_failure = absl::StatusCode::kUnknown;
        }
        break;
    }
    problems.push_back(absl::StrCat("step ", i, " (", ProviderOfTarget(step.target()), ") ",
                                    v1::UnlinkStepState_Name(step.state())));
  }
  if (problems.empty()) {
    v1::UnlinkResult result;
    *result.mutable_steps() = job.metadata.steps();
    op.mutable_response()->PackFrom(result);
    return op;
  }
  absl::StatusCode code = unknown > 0   ? absl::StatusCode::kUnknown
                          : failed > 0  ? first_failure
                                        : absl::StatusCode::kCancelled;
  absl::Status status(code, absl::StrCat(problems.size(), " of ", job.metadata.steps_size(),
                                         " steps did not reach their end state: ",
                                         absl::StrJoin(problems, "; "),
                                         " (the metadata has each step's status)"));
  status =
      adapters::errors::WithErrorInfo(status, "UNLINK_INCOMPLETE", adapters::errors::kGatewayDomain,
                                      {{"outcomeUnknown", absl::StrCat(unknown)},
                                       {"failed", absl::StrCat(failed)},
                                       {"cancelled", absl::StrCat(cancelled)}});
  *op.mutable_error() = adapters::errors::ToRpcStatus(status);
  return op;
}

UnlinkEngine::UnlinkEngine(JobStore& store, adapters::operation::ProviderRegistry const& providers,
                           Policy* policy, audit::AuditLog& audit, EngineOptions options)
    : store_(store),
      providers_(providers),
      policy_(policy),
      audit_(audit),
      options_(std::move(options)),
      stopping_(std::make_shared<adapters::async::Cancellation>()),
      gate_(std::make_shared<Gate>()) {
  absl::MutexLock lock(&gate_->mu);
  gate_->worker = &worker_;
}

UnlinkEngine::~UnlinkEngine() {
  shutting_down_.store(true);
  {
    absl::MutexLock lock(&gate_->mu);
    gate_->worker = nullptr;
  }
  stopping_->Cancel();
}

void UnlinkEngine::StartBackgroundWork() {
  worker_.Post([this] { ClaimAndRenew(); });
}

void UnlinkEngine::ClaimAndRenew() {
  if (shutting_down_.load()) return;
  absl::Time now = absl::Now();
  if (absl::Status renewed = store_.Renew(options_.owner, now + options_.lease); !renewed.ok()) {
    observability::log::Warning("unlink: cannot renew this gateway's job leases: ",
                                renewed.message());
  }
  auto claimed = store_.Claim(options_.owner, now, now + options_.lease);
  if (!claimed.ok()) {
    observability::log::Warning("unlink: cannot claim unfinished jobs: ",
                                claimed.status().message());
  } else {
    for (auto& stored : *claimed) {
      std::vector<v1::UnlinkTarget> targets;
      for (auto const& step : stored.metadata.steps()) targets.push_back(step.target());
      security::Caller caller;
      caller.principal = stored.metadata.caller();
      auto job = MakeJob(std::move(stored), std::move(targets), std::move(caller));
      // A job this replica runs already (or is starting) is not adopted
      // twice; a cancel asked at another replica reaches it here.
      if (!Register(job)) {
        if (job->stored.metadata.cancel_requested()) ApplyCancel(job->stored.metadata.name());
        continue;
      }
      observability::log::Info("unlink: resuming ", job->stored.metadata.name());
      Adopt(job);
    }
  }
  absl::Time before = now - options_.retention;
  if (auto purged = store_.Purge(before); purged.ok() && *purged > 0) {
    observability::log::Info("unlink: forgot ", *purged, " jobs finished before ",
                             absl::FormatTime(before));
  }
  worker_.PostAt(absl::Now() + options_.lease / 3, [this] { ClaimAndRenew(); });
}

absl::Status UnlinkEngine::Authorize(std::string const& principal, std::string const& method,
                                     std::string const& provider, std::string* rule) const {
  if (policy_ == nullptr) return absl::OkStatus();
  auto decision = policy_->Get()->Evaluate({principal, method, provider});
  if (rule != nullptr) *rule = decision.rule;
  if (decision.allowed) return absl::OkStatus();
  return server::call::NotAllowed(principal, method, provider);
}

absl::StatusOr<google::longrunning::Operation> UnlinkEngine::Start(
    security::Caller const& caller, v1::StartUnlinkRequest const& request) {
  if (absl::Status valid = ValidateStart(request); !valid.ok()) return valid;
  for (int i = 0; i < request.targets_size(); ++i) {
    auto single = SingleDeleteFor(request.targets(i));
    if (!single.ok()) return ForTarget(i, single.status());
    if (absl::Status allowed = Authorize(caller.principal, single->method, single->provider,
                                         nullptr);
        !allowed.ok()) {
      return ForTarget(i, allowed);
    }
    if (absl::Status ready = CheckDelete(providers_, *single->request); !ready.ok()) {
      return ForTarget(i, ready);
    }
  }
  absl::Time now = absl::Now();
  StoredJob job;
  job.fingerprint = FingerprintOf(request);
  auto& m = job.metadata;
  m.set_name(NewOperationName());
  m.set_caller(caller.principal);
  m.set_request_id(request.request_id());
  m.set_validate_only(request.validate_only());
  *m.mutable_create_time() = Stamp(now);
  *m.mutable_update_time() = Stamp(now);
  for (auto const& target : request.targets()) {
    auto* step = m.add_steps();
    *step->mutable_target() = Redacted(target);
    step->set_state(v1::UNLINK_STEP_STATE_PENDING);
    *step->mutable_update_time() = Stamp(now);
  }
  if (request.validate_only()) {
    // Everything a job checks before it starts; nothing stored or sent.
    job.done = true;
    google::longrunning::Operation op;
    op.set_name(m.name());
    op.set_done(true);
    op.mutable_metadata()->PackFrom(m);
    v1::UnlinkResult result;
    *result.mutable_steps() = m.steps();
    op.mutable_response()->PackFrom(result);
    return op;
  }
  // Fail closed: no job whose steps the audit trail could not record.
  if (absl::Status ready = audit_.Ready(); !ready.ok()) return ready;
  // Registered before it is stored, so that a claim running meanwhile does
  // not adopt it a second time.
  auto running = MakeJob(job, {request.targets().begin(), request.targets().end()}, caller);
  Register(running);
  auto created = store_.Create(job, options_.owner, now + options_.lease);
  if (!created.ok() || !created->inserted) {
    absl::MutexLock lock(&mu_);
    jobs_.erase(m.name());
  }
  if (!created.ok()) return created.status();
  if (!created->inserted) {
    if (created->job.fingerprint != job.fingerprint) {
      return server::idempotency::RequestIdReused("StartUnlinkRequest", request.request_id());
    }
    auto current = Visible(caller, created->job.metadata.name());
    if (!current.ok()) return current.status();
    return OperationOf(*current);
  }
  AuditStart(caller, request, created->job.metadata.name());
  worker_.Post([this, running] { Adopt(running); });
  return OperationOf(created->job);
}

void UnlinkEngine::AuditStart(security::Caller const& caller,
                              v1::StartUnlinkRequest const& request, std::string const& name) {
  audit::CallFacts facts;
  facts.method = "/linkgateway.v1.UnlinkService/StartUnlink";
  facts.caller = caller;
  facts.start = absl::Now();
  // The record names the job; its targets are in each step's record.
  auto record =
      audit::MakeAuditRecord(facts, request, absl::OkStatus(), nullptr, nullptr, absl::Now());
  record.set_unlink_operation(name);
  record.set_unlink_step(-1);
  audit_.Append(record, [name](absl::Status written) {
    if (!written.ok()) {
      observability::log::Error("unlink: the audit record of the start of ", name,
                                " was not written: ", written.message());
    }
  });
}

UnlinkEngine::JobPtr UnlinkEngine::MakeJob(StoredJob stored,
                                           std::vector<v1::UnlinkTarget> targets,
                                           security::Caller caller) {
  auto job = std::make_shared<Job>();
  job->caller = std::move(caller);
  job->stored = std::move(stored);
  job->targets = std::move(targets);
  for (auto const& target : job->targets) {
    // Credentials are never stored: a resumed step whose key needs one has
    // none, and cannot be sent.
    job->secrets_missing.push_back(NeedsSecrets(target) && !HoldsSecrets(target));
  }
  return job;
}

bool UnlinkEngine::Register(JobPtr const& job) {
  absl::MutexLock lock(&mu_);
  return jobs_.emplace(job->stored.metadata.name(), job).second;
}

void UnlinkEngine::Adopt(JobPtr const& job) {
  Recover(job);
  Pump();
  MaybeComplete(job);
}

void UnlinkEngine::Recover(JobPtr const& job) {
  auto const& m = job->stored.metadata;
  for (int i = 0; i < m.steps_size(); ++i) {
    auto const& step = m.steps(i);
    switch (step.state()) {
      case v1::UNLINK_STEP_STATE_PENDING:
        if (m.cancel_requested()) {
          Finish(job, i, v1::UNLINK_STEP_STATE_CANCELLED,
                 absl::CancelledError("cancelled before it was sent"));
        } else {
          ready_.emplace_back(job, i);
        }
        break;
      case v1::UNLINK_STEP_STATE_RUNNING: {
        if (!step.imiconnect_transaction_id().empty()) {
          Follow(job, i, absl::Now() + options_.follow_for, options_.follow_interval);
          break;
        }
        std::string provider = ProviderOfTarget(step.target());
        if (providers_.repeatable_deletes.contains(provider) &&
            step.attempts() < options_.max_attempts && !m.cancel_requested()) {
          // A repeat is harmless and its answer proves the end state.
          ready_.emplace_back(job, i);
          break;
        }
        Finish(
            job, i, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN,
            adapters::errors::WithErrorInfo(
                absl::UnknownError(
                    absl::StrCat("the gateway stopped after sending this delete (attempt ",
                                 step.attempts(), ", recorded ",
                                 absl::FormatTime(absl::FromUnixMicros(
                                     TimeUtil::TimestampToMicroseconds(step.update_time()))),
                                 ") and before its answer; ", provider,
                                 " deletes are never sent twice: check the link at the provider")),
                adapters::errors::reason::kUpstreamOutcomeUnknown, adapters::errors::kGatewayDomain,
                {{"provider", provider}, {"attempts", absl::StrCat(step.attempts())}}));
        break;
      }
      default:
        break;
    }
  }
}

void UnlinkEngine::Pump() {
  while (!shutting_down_.load() && in_flight_ < options_.max_steps_in_flight && !ready_.empty()) {
    auto [job, index] = ready_.front();
    ready_.pop_front();
    if (job->dropped) continue;
    BeginStep(job, index);
  }
}

void UnlinkEngine::BeginStep(JobPtr const& job, int index) {
  auto const& m = job->stored.metadata;
  // Ended while it waited for a slot (e.g. cancelled).
  if (Terminal(m.steps(index).state())) return;
  if (m.cancel_requested()) {
    return Finish(job, index, v1::UNLINK_STEP_STATE_CANCELLED,
                  absl::CancelledError("cancelled before it was sent"));
  }
  if (job->secrets_missing[index]) {
    return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED,
                  absl::FailedPreconditionError(
                      "the target's credentials (e.g. an access token) are kept in memory only "
                      "and were lost when the gateway restarted before this step was sent; "
                      "start a new job for this target"));
  }
  auto single = SingleDeleteFor(job->targets[index]);
  if (!single.ok()) return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED, single.status());
  std::string rule;
  // The policy may have changed since the start (or the restart).
  if (absl::Status allowed = Authorize(m.caller(), single->method, single->provider, &rule);
      !allowed.ok()) {
    Audit(job, index, *single->request, allowed, nullptr, nullptr, absl::Now(), rule);
    return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED, allowed);
  }
  if (absl::Status ready = CheckDelete(providers_, *single->request); !ready.ok()) {
    return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED, ready);
  }
  if (absl::Status ready = audit_.Ready(); !ready.ok()) {
    return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED, ready);
  }
  v1::UnlinkStep step = m.steps(index);
  step.set_state(v1::UNLINK_STEP_STATE_RUNNING);
  step.set_attempts(step.attempts() + 1);
  step.clear_status();
  // The intent, on disk before anything is sent.
  if (!Save(job, index, std::move(step))) return;
  ++in_flight_;
  if (options_.metrics != nullptr) options_.metrics->unlink_steps_in_flight().Add(1);
  absl::Time started = absl::Now();
  auto trace = std::make_shared<adapters::transport::UpstreamTrace>();
  adapters::operation::CallContext context{started + options_.step_deadline, stopping_, trace};
  std::shared_ptr<google::protobuf::Message const> request = std::move(single->request);
  StartDelete(providers_, request, context,
              [gate = gate_, this, job, index, request, trace, started,
               rule = std::move(rule)](CallAnswer answer) mutable {
                gate->Post([this, job, index, request, trace, started, rule = std::move(rule),
                            answer = std::move(answer)]() mutable {
                  --in_flight_;
                  if (options_.metrics != nullptr) {
                    options_.metrics->unlink_steps_in_flight().Add(-1);
                  }
                  std::string upstream_id = Audit(job, index, *request, answer.status,
                                                  answer.response.get(), trace.get(), started,
                                                  rule);
                  OnAnswer(job, index, std::move(answer), trace->sends.load(),
                           std::move(upstream_id));
                  Pump();
                });
              });
}

void UnlinkEngine::OnAnswer(JobPtr const& job, int index, CallAnswer answer, int sends,
                            std::string upstream_id) {
  if (job->dropped) return;
  auto const& m = job->stored.metadata;
  v1::UnlinkStep step = m.steps(index);
  if (!upstream_id.empty()) step.set_upstream_request_id(std::move(upstream_id));
  std::string provider = ProviderOfTarget(step.target());
  absl::Status const& status = answer.status;
  if (status.ok()) {
    QueuedWork queued = QueuedWorkOf(*answer.response);
    if (!queued.transaction_id.empty()) {
      // Accepted into the provider's queue: done only when the queue says.
      step.set_imiconnect_transaction_id(queued.transaction_id);
      step.set_imiconnect_transaction_state(v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
      if (!Save(job, index, std::move(step))) return;
      Notify(job);
      return Follow(job, index, absl::Now() + options_.follow_for, options_.follow_interval);
    }
    return Finish(job, index,
                  AlreadyDeleted(*answer.response) ? v1::UNLINK_STEP_STATE_ALREADY_GONE
                                                   : v1::UNLINK_STEP_STATE_SUCCEEDED,
                  absl::OkStatus(), &step);
  }
  if (status.code() == absl::StatusCode::kNotFound) {
    // The provider says the link does not exist: the end state holds.
    return Finish(job, index, v1::UNLINK_STEP_STATE_ALREADY_GONE, status, &step);
  }
  if (sends == 0 || ProvesNothingHappened(status.code())) {
    return Finish(job, index, v1::UNLINK_STEP_STATE_FAILED, status, &step);
  }
  if (providers_.repeatable_deletes.contains(provider) &&
      step.attempts() < options_.max_attempts && !m.cancel_requested()) {
    ready_.emplace_back(job, index);  // still RUNNING in the store: re-sent after a crash too
    return;
  }
  Finish(job, index, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN, status, &step);
}

void UnlinkEngine::Follow(JobPtr const& job, int index, absl::Time give_up,
                          absl::Duration interval) {
  if (job->dropped || shutting_down_.load()) return;
  auto const& step = job->stored.metadata.steps(index);
  QueuedWork work{"", step.imiconnect_transaction_id()};
  auto single = SingleDeleteFor(job->targets[index]);
  // The queued work is read from the provider the step's delete went to.
  work.result_case = single.ok() ? single->provider : "";
  adapters::operation::CallContext context{absl::Now() + options_.step_deadline, stopping_,
                                           nullptr};
  ReadQueuedWork(providers_, work, context,
                 [gate = gate_, this, job, index, give_up,
                  interval](absl::StatusOr<QueuedState> state) mutable {
                   gate->Post([this, job, index, give_up, interval,
                               state = std::move(state)]() mutable {
                     OnQueuedState(job, index, std::move(state), give_up, interval);
                   });
                 });
}

void UnlinkEngine::OnQueuedState(JobPtr const& job, int index, absl::StatusOr<QueuedState> state,
                                 absl::Time give_up, absl::Duration interval) {
  if (job->dropped) return;
  v1::UnlinkStep step = job->stored.metadata.steps(index);
  std::string const& id = step.imiconnect_transaction_id();
  if (state.ok()) {
    if (state->state != step.imiconnect_transaction_state()) {
      step.set_imiconnect_transaction_state(state->state);
      if (!Save(job, index, step)) return;
      Notify(job);
    }
    std::string said = absl::StrCat(state->code.empty() ? "" : absl::StrCat(" code ", state->code),
                                    state->description.empty()
                                        ? ""
                                        : absl::StrCat(": ", state->description));
    switch (state->state) {
      case v1::PROFILE_TRANSACTION_STATE_SUCCEEDED:
        return Finish(job, index, v1::UNLINK_STEP_STATE_SUCCEEDED, absl::OkStatus());
      case v1::PROFILE_TRANSACTION_STATE_FAILED:
      case v1::PROFILE_TRANSACTION_STATE_PARTIALLY_SUCCEEDED:
        return Finish(
            job, index, v1::UNLINK_STEP_STATE_FAILED,
            adapters::errors::WithErrorInfo(
                absl::FailedPreconditionError(
                    absl::StrCat("the provider reports queued transaction ", id, " ",
                                 v1::ProfileTransactionState_Name(state->state), said)),
                "QUEUED_DELETE_FAILED", adapters::errors::kGatewayDomain, {{"transactionId", id}}));
      default:
        break;
    }
  }
  absl::Time now = absl::Now();
  if (now >= give_up) {
    return Finish(
        job, index, v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN,
        adapters::errors::WithErrorInfo(
            absl::UnknownError(absl::StrCat(
                "queued transaction ", id, " had no final state after ",
                absl::FormatDuration(options_.follow_for),
                state.ok() ? "" : absl::StrCat(" (last read: ", state.status().message(), ")"),
                "; the delete may still happen: check it with GetProfileTransaction")),
            adapters::errors::reason::kUpstreamOutcomeUnknown, adapters::errors::kGatewayDomain,
            {{"transactionId", id}}));
  }
  absl::Duration next = std::min(interval * 2, kMaxFollowInterval);
  worker_.PostAt(std::min(now + interval, give_up), [this, job, index, give_up, next] {
    Follow(job, index, give_up, next);
  });
}

bool UnlinkEngine::Save(JobPtr const& job, int index, v1::UnlinkStep step) {
  absl::Time now = absl::Now();
  *step.mutable_update_time() = Stamp(now);
  absl::Status saved = store_.SaveStep(job->stored.metadata.name(), options_.owner, index, step);
  if (options_.metrics != nullptr) options_.metrics->UnlinkStoreWrite(absl::Now() - now);
  if (saved.code() == absl::StatusCode::kFailedPrecondition) {
    // Another replica holds the job now (this one's lease lapsed): it
    // resolves the steps from the store; this replica must not act on them.
    observability::log::Warning("unlink: ", saved.message(), "; leaving it to its holder");
    job->dropped = true;
    absl::MutexLock lock(&mu_);
    jobs_.erase(job->stored.metadata.name());
    return false;
  }
  if (!saved.ok()) {
    // Not recorded, so not acted on: the step is tried again shortly.
    observability::log::Error("unlink: cannot record step ", index, " of ",
                              job->stored.metadata.name(), ": ", saved.message());
    worker_.PostAt(now + absl::Seconds(1), [this, job, index] {
      if (job->stored.metadata.steps(index).state() == v1::UNLINK_STEP_STATE_PENDING) {
        ready_.emplace_back(job, index);
        Pump();
      }
    });
    return false;
  }
  absl::MutexLock lock(&mu_);
  *job->stored.metadata.mutable_steps(index) = std::move(step);
  *job->stored.metadata.mutable_update_time() = Stamp(now);
  return true;
}

void UnlinkEngine::Finish(JobPtr const& job, int index, v1::UnlinkStepState state,
                          absl::Status status, v1::UnlinkStep const* base) {
  v1::UnlinkStep step = base != nullptr ? *base : job->stored.metadata.steps(index);
  step.set_state(state);
  *step.mutable_status() = adapters::errors::ToRpcStatus(status);
  std::string provider = ProviderOfTarget(step.target());
  if (!Save(job, index, std::move(step))) return;
  if (options_.metrics != nullptr) {
    absl::string_view name = v1::UnlinkStepState_Name(state);
    absl::ConsumePrefix(&name, "UNLINK_STEP_STATE_");
    options_.metrics->UnlinkStepFinished(provider, name);
  }
  // The last step's change is reported with the job's end.
  if (!MaybeComplete(job)) Notify(job);
}

std::string UnlinkEngine::Audit(JobPtr const& job, int index,
                                google::protobuf::Message const& request,
                                absl::Status const& status,
                                google::protobuf::Message const* response,
                                adapters::transport::UpstreamTrace const* trace, absl::Time started,
                                std::string const& rule) {
  audit::CallFacts facts;
  auto single = SingleDeleteFor(job->targets[index]);
  facts.method = single.ok() ? single->method : "";
  facts.caller = job->caller;
  facts.start = started;
  facts.policy_rule = rule;
  auto record = audit::MakeAuditRecord(facts, request, status, response, trace, absl::Now());
  record.set_unlink_operation(job->stored.metadata.name());
  record.set_unlink_step(index);
  std::string upstream_id = record.upstream().request_id();
  audit_.Append(record, [name = job->stored.metadata.name(), index](absl::Status written) {
    if (!written.ok()) {
      observability::log::Error("unlink: the audit record of step ", index, " of ", name,
                                " was not written: ", written.message());
    }
  });
  return upstream_id;
}

void UnlinkEngine::Notify(JobPtr const& job) {
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

bool UnlinkEngine::MaybeComplete(JobPtr const& job) {
  if (job->dropped || job->stored.done) return false;
  for (auto const& step : job->stored.metadata.steps()) {
    if (!Terminal(step.state())) return false;
  }
  if (absl::Status done = store_.MarkDone(job->stored.metadata.name(), options_.owner);
      !done.ok()) {
    observability::log::Error("unlink: cannot mark ", job->stored.metadata.name(),
                              " done: ", done.message());
    return false;  // claimed again later, then completed
  }
  {
    absl::MutexLock lock(&mu_);
    job->stored.done = true;
    jobs_.erase(job->stored.metadata.name());
  }
  observability::log::Info("unlink: ", job->stored.metadata.name(), " finished");
  Notify(job);
  // A finished job has nothing more to report.
  absl::MutexLock lock(&mu_);
  for (auto const& [handle, watcher] : job->watchers) watches_.erase(handle);
  job->watchers.clear();
  return true;
}

absl::StatusOr<StoredJob> UnlinkEngine::Visible(security::Caller const& caller,
                                                std::string const& name) {
  std::optional<StoredJob> found;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = jobs_.find(name); it != jobs_.end()) found = it->second->stored;
  }
  if (!found.has_value()) {
    auto stored = store_.Get(name);
    if (!stored.ok()) return stored.status();
    found = *std::move(stored);
  }
  // Another caller's job is not there for this one (not even its name).
  if (!found.has_value() || found->metadata.caller() != caller.principal) {
    return absl::NotFoundError(absl::StrCat("no operation named \"", name, "\""));
  }
  return *std::move(found);
}

absl::StatusOr<google::longrunning::Operation> UnlinkEngine::Get(security::Caller const& caller,
                                                                 std::string const& name) {
  auto job = Visible(caller, name);
  if (!job.ok()) return job.status();
  return OperationOf(*job);
}

absl::StatusOr<google::longrunning::ListOperationsResponse> UnlinkEngine::List(
    security::Caller const& caller, google::longrunning::ListOperationsRequest const& request) {
  JobQuery query;
  query.caller = caller.principal;
  query.page_size = request.page_size() <= 0 ? 50 : std::min(request.page_size(), 1000);
  query.page_token = request.page_token();
  if (!request.name().empty() && request.name() != "operations" &&
      request.name() != "operations/unlink") {
    return adapters::errors::InvalidArgument(
        "ListOperationsRequest",
        {{"name", "must be empty, \"operations\" or \"operations/unlink\""}});
  }
  if (absl::Status filter = ParseFilter(request.filter(), caller.principal, query);
      !filter.ok()) {
    return filter;
  }
  auto page = store_.List(query);
  if (!page.ok()) return page.status();
  google::longrunning::ListOperationsResponse response;
  for (auto const& job : page->jobs) {
    std::optional<StoredJob> live;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = jobs_.find(job.metadata.name()); it != jobs_.end()) live = it->second->stored;
    }
    *response.add_operations() = OperationOf(live.has_value() ? *live : job);
  }
  response.set_next_page_token(page->next_page_token);
  return response;
}

absl::Status UnlinkEngine::Cancel(security::Caller const& caller, std::string const& name) {
  auto job = Visible(caller, name);
  if (!job.ok()) return job.status();
  if (job->done) return absl::OkStatus();  // AIP-151: cancelling a finished operation is a no-op
  if (absl::Status marked = store_.MarkCancelRequested(name); !marked.ok()) return marked;
  worker_.Post([this, name] { ApplyCancel(name); });
  return absl::OkStatus();
}

void UnlinkEngine::ApplyCancel(std::string const& name) {
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
      Finish(job, i, v1::UNLINK_STEP_STATE_CANCELLED,
             absl::CancelledError("cancelled before it was sent"));
    }
  }
  if (!job->stored.done) Notify(job);
}

absl::StatusOr<std::int64_t> UnlinkEngine::Watch(security::Caller const& caller,
                                                 std::string const& name, Watcher watcher) {
  auto job = Visible(caller, name);
  if (!job.ok()) return job.status();
  std::int64_t handle;
  {
    absl::MutexLock lock(&mu_);
    handle = next_watch_++;
    watches_[handle] = name;
  }
  // Registered on the worker, where every change happens: the first report
  // is the job as it is, and each later one follows a change.
  worker_.Post([this, name, handle, watcher = std::move(watcher)]() mutable {
    JobPtr live;
    {
      absl::MutexLock lock(&mu_);
      if (!watches_.contains(handle)) return;  // already gone
      if (auto it = jobs_.find(name); it != jobs_.end()) {
        live = it->second;
        live->watchers[handle] = watcher;
      }
    }
    if (live != nullptr) {
      v1::UnlinkMetadata snapshot;
      {
        absl::MutexLock lock(&mu_);
        snapshot = live->stored.metadata;
      }
      return watcher(snapshot, false);
    }
    PollWatch(handle, name, std::move(watcher), "");
  });
  return handle;
}

void UnlinkEngine::PollWatch(std::int64_t handle, std::string const& name, Watcher watcher,
                             std::string last) {
  // Not run here (finished, or another replica's): read from the store.
  {
    absl::MutexLock lock(&mu_);
    if (!watches_.contains(handle)) return;
  }
  auto stored = store_.Get(name);
  if (stored.ok() && stored->has_value()) {
    std::string now = (*stored)->metadata.SerializeAsString();
    if (now != last || (*stored)->done) watcher((*stored)->metadata, (*stored)->done);
    if ((*stored)->done) {
      absl::MutexLock lock(&mu_);
      watches_.erase(handle);
      return;
    }
    last = std::move(now);
  }
  worker_.PostAt(absl::Now() + absl::Seconds(1),
                 [this, handle, name, watcher = std::move(watcher), last = std::move(last)]() mutable {
                   PollWatch(handle, name, std::move(watcher), std::move(last));
                 });
}

void UnlinkEngine::Unwatch(std::int64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(handle);
  if (it == watches_.end()) return;
  if (auto job = jobs_.find(it->second); job != jobs_.end()) job->second->watchers.erase(handle);
  watches_.erase(it);
}

void UnlinkEngine::Wait(
    security::Caller const& caller, std::string const& name, absl::Time until,
    absl::AnyInvocable<void(absl::StatusOr<google::longrunning::Operation>) &&> done) {
  struct Waiting {
    absl::Mutex mu;
    absl::AnyInvocable<void(absl::StatusOr<google::longrunning::Operation>) &&> done
        ABSL_GUARDED_BY(mu);
    std::int64_t handle = 0;
    // The one answer; later calls do nothing.
    void Answer(absl::StatusOr<google::longrunning::Operation> op) {
      absl::AnyInvocable<void(absl::StatusOr<google::longrunning::Operation>) &&> take;
      {
        absl::MutexLock lock(&mu);
        take = std::move(done);
        done = nullptr;
      }
      if (take) std::move(take)(std::move(op));
    }
  };
  auto waiting = std::make_shared<Waiting>();
  waiting->done = std::move(done);
  auto handle = Watch(caller, name,
                      [this, waiting, name](v1::UnlinkMetadata const& metadata, bool finished) {
                        if (!finished) return;
                        Unwatch(waiting->handle);
                        auto job = store_.Get(name);
                        if (job.ok() && job->has_value()) {
                          waiting->Answer(OperationOf(**job));
                        } else {
                          StoredJob fallback;
                          fallback.metadata = metadata;
                          fallback.done = true;
                          waiting->Answer(OperationOf(fallback));
                        }
                      });
  if (!handle.ok()) return waiting->Answer(handle.status());
  waiting->handle = *handle;
  worker_.PostAt(until, [this, waiting, caller, name] {
    Unwatch(waiting->handle);
    waiting->Answer(Get(caller, name));
  });
}

absl::Status ParseFilter(std::string const& filter, std::string const& principal,
                         JobQuery& query) {
  auto bad = [](std::string const& why) {
    return adapters::errors::InvalidArgument("ListOperationsRequest", {{"filter", why}});
  };
  for (absl::string_view term : absl::StrSplit(filter, " AND ", absl::SkipWhitespace())) {
    term = absl::StripAsciiWhitespace(term);
    std::vector<absl::string_view> sides = absl::StrSplit(term, absl::MaxSplits('=', 1));
    if (sides.size() != 2) {
      return bad("terms are caller = \"<principal>\" or done = true|false, joined by AND");
    }
    absl::string_view key = absl::StripAsciiWhitespace(sides[0]);
    absl::string_view value = absl::StripAsciiWhitespace(sides[1]);
    if (key == "done" && (value == "true" || value == "false")) {
      query.done = value == "true";
    } else if (key == "caller" && value.size() >= 2 && value.front() == '"' &&
               value.back() == '"') {
      std::string who(value.substr(1, value.size() - 2));
      // Operations are their caller's: a filter cannot widen that.
      if (who != principal) {
        return absl::PermissionDeniedError(
            "a caller may list only its own operations (filter caller = its own identity)");
      }
    } else {
      return bad("terms are caller = \"<principal>\" or done = true|false, joined by AND");
    }
  }
  return absl::OkStatus();
}

}  // namespace linkgateway::server::unlink
