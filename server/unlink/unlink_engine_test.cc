// The engine's rules with providers faked at the operation seam (no HTTP)
// and a real SQLite store; waits are bounded (WaitOperation's deadline).
#include "server/unlink/unlink_engine.h"

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/call/call_limiter.h"
#include "server/call/connection_limiter.h"
#include "server/call/pipeline.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/methods/provider_methods.h"
#include "server/security/authenticator.h"
#include "server/unlink/operations.h"
#include "server/unlink/sqlite_job_store.h"

namespace linkgateway::server::unlink {
namespace {

using ::testing::HasSubstr;

// An operation that counts its calls, marks them sent and answers with
// whatever `answer` returns.
template <typename Req, typename Resp>
class FakeOperation final : public adapters::operation::Operation<Req, Resp> {
 public:
  explicit FakeOperation(std::function<absl::StatusOr<Resp>(int call)> answer)
      : answer_(std::move(answer)) {}
  void Start(adapters::operation::CallContext const& context, Req const&,
             adapters::operation::Callback<Resp> done) override {
    int call = ++calls_;
    if (context.trace != nullptr) ++context.trace->sends;
    std::move(done)(answer_(call));
  }
  int calls() const { return calls_.load(); }

 private:
  std::function<absl::StatusOr<Resp>(int)> answer_;
  std::atomic<int> calls_{0};
};

using FakeRegistration =
    FakeOperation<v1::DeleteRegistrationRequest, v1::DeleteRegistrationResponse>;
using FakeAppProfile = FakeOperation<v1::DeleteAppProfileRequest, v1::DeleteAppProfileResponse>;
using FakeTransaction =
    FakeOperation<v1::GetProfileTransactionRequest, v1::ProfileTransaction>;

// IMIconnect accepting every delete into its queue as transaction `id`.
std::shared_ptr<FakeAppProfile> QueuedAs(std::string id) {
  return std::make_shared<FakeAppProfile>(
      [id](int) -> absl::StatusOr<v1::DeleteAppProfileResponse> {
        v1::DeleteAppProfileResponse response;
        response.mutable_imiconnect()->set_transaction_id(id);
        return response;
      });
}

absl::Status Ok(v1::DeleteRegistrationRequest const&) { return absl::OkStatus(); }

class UnlinkEngineTest : public ::testing::Test {
 protected:
  // A step's call may still be finishing (its audit record, its late
  // answer) after its engine stopped: what it uses stays until it is done.
  void TearDown() override {
    if (pipeline_ != nullptr) pipeline_->WaitForCalls();
  }

  void SetUp() override {
    static int counter = 0;
    path_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/engine-", ++counter, ".sqlite3");
    auto store = SqliteJobStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    audit_ = std::make_unique<audit::AuditLog>(
        audit::AuditLog::Options{absl::StrCat(path_, ".audit.jsonl")});
  }

  // Registers the fakes under the providers' target cases.
  void Register(std::shared_ptr<FakeRegistration> sms, std::shared_ptr<FakeAppProfile> imi,
                std::shared_ptr<FakeTransaction> transactions = nullptr,
                std::shared_ptr<FakeRegistration> dash = nullptr) {
    if (sms) {
      providers_.table<v1::DeleteRegistrationRequest>().Add(
          v1::DeleteRegistrationRequest::kSmsVoice, &Ok, sms);
      providers_.repeatable_deletes.insert("sms_voice");
    }
    if (dash) {
      providers_.table<v1::DeleteRegistrationRequest>().Add(
          v1::DeleteRegistrationRequest::kDashReplenishment, &Ok, dash);
    }
    if (imi) {
      providers_.table<v1::DeleteAppProfileRequest>().Add(
          v1::DeleteAppProfileRequest::kImiconnect,
          [](v1::DeleteAppProfileRequest const&) { return absl::OkStatus(); }, imi);
      // IMIconnect queues its deletes: the engine follows the transaction
      // as the provider's factory declares it.
      adapters::operation::FollowUp follow_up;
      follow_up.id_of = [](google::protobuf::Message const& response) {
        return static_cast<v1::DeleteAppProfileResponse const&>(response)
            .imiconnect()
            .transaction_id();
      };
      follow_up.read = [transactions](adapters::operation::CallContext const& context,
                                      std::string const&, std::string const& id,
                                      adapters::operation::FollowUp::StateCallback done) {
        if (transactions == nullptr) {
          return std::move(done)(absl::UnimplementedError("no transaction reads"));
        }
        v1::GetProfileTransactionRequest request;
        request.mutable_imiconnect()->set_transaction_id(id);
        transactions->Start(
            context, request,
            [done = std::move(done)](absl::StatusOr<v1::ProfileTransaction> tx) mutable {
              if (!tx.ok()) return std::move(done)(tx.status());
              std::move(done)(
                  adapters::operation::FollowUp::State{tx->imiconnect().state(), "", ""});
            });
      };
      follow_up.read_rpc = "ReadQueuedDelete";
      providers_.follow_ups["imiconnect"] = std::move(follow_up);
    }
  }

  std::unique_ptr<UnlinkEngine> Engine(EngineOptions options = {}) {
    if (options.owner.empty()) options.owner = "test";
    options.follow_interval = absl::Milliseconds(10);
    serving_ = std::make_unique<call::Serving>(
        call::Serving{absl::Seconds(30), limiter_, connections_, authenticator_, nullptr, *audit_,
                      idempotency_, absl::Hours(1), metrics_, nullptr, refusals_});
    pipeline_ = std::make_unique<call::Pipeline>(*serving_);
    methods::AddProviderMethods(providers_, methods_);
    JobStore& store = engine_store_ != nullptr ? *engine_store_ : *store_;
    auto engine = std::make_unique<UnlinkEngine>(store, *pipeline_, methods_, providers_, options);
    engine->StartBackgroundWork();
    return engine;
  }

  absl::StatusOr<google::longrunning::Operation> Start(UnlinkEngine& engine,
                                                       v1::StartUnlinkRequest const& request) {
    return Await<google::longrunning::Operation>([&](auto done) {
      engine.Start(caller_, request, absl::Now() + absl::Seconds(10), std::move(done));
    });
  }

  // Runs `call` with a callback and waits (bounded) for its answer.
  template <typename T, typename F>
  static absl::StatusOr<T> Await(F call) {
    absl::Notification answered;
    absl::StatusOr<T> result = absl::UnknownError("no answer");
    call([&](absl::StatusOr<T> r) {
      result = std::move(r);
      answered.Notify();
    });
    EXPECT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(20)));
    return result;
  }

  static v1::UnlinkTarget Sms(std::string const& id) {
    v1::UnlinkTarget target;
    target.mutable_sms_voice_registration()->set_registration_id(id);
    return target;
  }
  static v1::UnlinkTarget Imi(std::string const& customer) {
    v1::UnlinkTarget target;
    auto* key = target.mutable_imiconnect_app_profile();
    key->set_app_id("app");
    key->set_customer_id(customer);
    return target;
  }
  static v1::UnlinkTarget Dash() {
    v1::UnlinkTarget target;
    target.mutable_dash_replenishment_device()->set_access_token("Atza|secret-token");
    return target;
  }

  // Starts a job and waits (bounded) until it is done.
  google::longrunning::Operation Run(UnlinkEngine& engine,
                                     std::vector<v1::UnlinkTarget> const& targets) {
    v1::StartUnlinkRequest request;
    for (auto const& t : targets) *request.add_targets() = t;
    auto started = Start(engine, request);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? WaitFor(engine, started->name()) : google::longrunning::Operation();
  }

  google::longrunning::Operation WaitFor(UnlinkEngine& engine, std::string const& name) {
    absl::Notification answered;
    google::longrunning::Operation op;
    engine.views().Wait(caller_, name, absl::Now() + absl::Seconds(10),
                        [&](absl::StatusOr<google::longrunning::Operation> result) {
                          if (result.ok()) op = *result;
                          answered.Notify();
                        });
    EXPECT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(20)));
    return op;
  }

  static absl::StatusOr<bool> Cancel(UnlinkEngine& engine, security::Caller const& caller,
                                     std::string const& name) {
    return Await<bool>([&](auto done) {
      engine.Cancel(caller, name, absl::Now() + absl::Seconds(10), std::move(done));
    });
  }

  static v1::UnlinkMetadata Metadata(google::longrunning::Operation const& op) {
    v1::UnlinkMetadata metadata;
    op.metadata().UnpackTo(&metadata);
    return metadata;
  }

  std::string path_;
  std::unique_ptr<SqliteJobStore> store_;
  // The store the engine is given, when not store_ itself.
  JobStore* engine_store_ = nullptr;
  std::unique_ptr<audit::AuditLog> audit_;
  adapters::operation::ProviderRegistry providers_;
  security::Caller caller_{"svc", security::ProvenBy::kNone, ""};
  // What the pipeline the steps take needs.
  call::CallLimiter limiter_{100};
  call::ConnectionLimiter connections_{100, [](std::string const&) {}};
  call::RefusalBudget refusals_;
  security::Authenticator authenticator_;
  idempotency::MemoryIdempotencyStore idempotency_{100};
  observability::metrics::GatewayMetrics metrics_;
  std::unique_ptr<call::Serving> serving_;
  std::unique_ptr<call::Pipeline> pipeline_;
  call::MethodSet methods_;
};

TEST_F(UnlinkEngineTest, AnUnknownOutcomeIsResentOnlyWhereARepeatIsHarmless) {
  // SMS and Voice: unknown twice, then NOT_FOUND (the first send worked).
  auto sms = std::make_shared<FakeRegistration>(
      [](int call) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        if (call < 3) return absl::UnknownError("connection reset after the request was sent");
        return absl::NotFoundError("registration not found");
      });
  // IMIconnect: unknown once: never sent again.
  auto imi = std::make_shared<FakeAppProfile>(
      [](int) -> absl::StatusOr<v1::DeleteAppProfileResponse> {
        return absl::UnknownError("connection reset after the request was sent");
      });
  Register(sms, imi);
  auto engine = Engine();
  auto op = Run(*engine, {Sms("r-1"), Imi("c-1")});
  ASSERT_TRUE(op.done());
  auto m = Metadata(op);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_ALREADY_GONE);
  EXPECT_EQ(m.steps(0).attempts(), 3);
  EXPECT_EQ(sms->calls(), 3);
  EXPECT_EQ(m.steps(1).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN);
  EXPECT_EQ(imi->calls(), 1);
  EXPECT_EQ(op.error().code(), static_cast<int>(absl::StatusCode::kUnknown));
}

TEST_F(UnlinkEngineTest, ARefusalBeforeOrWithoutASendFailsTheStep) {
  auto sms = std::make_shared<FakeRegistration>(
      [](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return absl::PermissionDeniedError("AccessDeniedException");
      });
  Register(sms, nullptr);
  auto engine = Engine();
  auto op = Run(*engine, {Sms("r-1")});
  auto m = Metadata(op);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_FAILED);
  EXPECT_EQ(m.steps(0).status().code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(op.error().code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(sms->calls(), 1);
}

TEST_F(UnlinkEngineTest, AQueuedDeleteIsFollowedToItsFinalState) {
  auto imi = QueuedAs("tx-1");
  auto transactions = std::make_shared<FakeTransaction>(
      [](int call) -> absl::StatusOr<v1::ProfileTransaction> {
        v1::ProfileTransaction tx;
        tx.mutable_imiconnect()->set_transaction_id("tx-1");
        tx.mutable_imiconnect()->set_state(call < 3
                                               ? v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN
                                               : v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
        return tx;
      });
  Register(nullptr, imi, transactions);
  auto engine = Engine();
  auto op = Run(*engine, {Imi("c-1")});
  auto m = Metadata(op);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(m.steps(0).transaction_id(), "tx-1");
  EXPECT_EQ(m.steps(0).transaction_state(), v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  // The provider-named copies, for clients written before the generic ones.
  EXPECT_EQ(m.steps(0).imiconnect_transaction_id(), "tx-1");
  EXPECT_EQ(m.steps(0).imiconnect_transaction_state(), v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  EXPECT_EQ(transactions->calls(), 3);
}

TEST_F(UnlinkEngineTest, AQueuedDeleteStillPendingWhenFollowingEndsIsUnknownWithItsId) {
  auto imi = QueuedAs("tx-9");
  auto transactions = std::make_shared<FakeTransaction>(
      [](int) -> absl::StatusOr<v1::ProfileTransaction> {
        return absl::UnavailableError("IMIconnect is down");
      });
  Register(nullptr, imi, transactions);
  EngineOptions options;
  options.follow_for = absl::Milliseconds(200);
  auto engine = Engine(options);
  auto m = Metadata(Run(*engine, {Imi("c-1")}));
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN);
  EXPECT_THAT(m.steps(0).status().message(), HasSubstr("tx-9"));
  // How to check it is the provider's to say (its FollowUp's read_rpc).
  EXPECT_THAT(m.steps(0).status().message(), HasSubstr("check it with ReadQueuedDelete"));
  EXPECT_EQ(imi->calls(), 1);
}

TEST_F(UnlinkEngineTest, AReadTheGatewaysOwnLimitRefusedIsAskedAgainAtOnceNotLater) {
  // Deletes may take every turn of a limit the provider's reads share: a
  // read refused by the gateway's limit (nothing sent) is asked again at the
  // next turn, not after a follow interval that doubles each time.
  auto imi = QueuedAs("tx-2");
  constexpr int kRefused = 12;
  auto transactions =
      std::make_shared<FakeTransaction>([](int call) -> absl::StatusOr<v1::ProfileTransaction> {
        if (call <= kRefused) {
          return adapters::errors::WithErrorInfo(absl::ResourceExhaustedError("no turn free"),
                                                 adapters::errors::reason::kClientRateLimited,
                                                 adapters::errors::kGatewayDomain, {});
        }
        v1::ProfileTransaction tx;
        tx.mutable_imiconnect()->set_transaction_id("tx-2");
        tx.mutable_imiconnect()->set_state(v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
        return tx;
      });
  Register(nullptr, imi, transactions);
  EngineOptions options;
  // Doubling from 10 ms, twelve refusals would take 40 s.
  options.follow_for = absl::Seconds(5);
  auto engine = Engine(options);
  auto m = Metadata(Run(*engine, {Imi("c-1")}));
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(transactions->calls(), kRefused + 1);
  EXPECT_EQ(imi->calls(), 1);
}

TEST_F(UnlinkEngineTest, AResumedStepWithoutItsTokenFailsAndOneSentIsNeverResent) {
  // A job recorded by a gateway that died: the Dash step not yet sent
  // (its token was in that gateway's memory), the IMIconnect step sent.
  StoredJob job;
  auto& m = job.metadata;
  m.set_name("operations/unlink/crashed");
  m.set_caller("svc");
  auto* dash = m.add_steps();
  *dash->mutable_target() = Dash();
  dash->mutable_target()->mutable_dash_replenishment_device()->clear_access_token();
  dash->set_state(v1::UNLINK_STEP_STATE_PENDING);
  auto* imi = m.add_steps();
  *imi->mutable_target() = Imi("c-1");
  imi->set_state(v1::UNLINK_STEP_STATE_RUNNING);
  imi->set_attempts(1);
  ASSERT_TRUE(store_->Create(job, "dead", absl::Now() - absl::Seconds(1)).ok());
  auto imi_op = std::make_shared<FakeAppProfile>(
      [](int) -> absl::StatusOr<v1::DeleteAppProfileResponse> {
        return v1::DeleteAppProfileResponse();
      });
  auto dash_op = std::make_shared<FakeRegistration>(
      [](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return v1::DeleteRegistrationResponse();
      });
  Register(nullptr, imi_op, nullptr, dash_op);
  auto engine = Engine();
  auto op = WaitFor(*engine, "operations/unlink/crashed");
  ASSERT_TRUE(op.done()) << op.DebugString();
  auto got = Metadata(op);
  EXPECT_EQ(got.steps(0).state(), v1::UNLINK_STEP_STATE_FAILED);
  EXPECT_THAT(got.steps(0).status().message(), HasSubstr("kept in memory only"));
  EXPECT_EQ(got.steps(1).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN);
  EXPECT_THAT(got.steps(1).status().message(), HasSubstr("never sent twice"));
  EXPECT_EQ(imi_op->calls(), 0);
  EXPECT_EQ(dash_op->calls(), 0);
}

// Holds each call's answer until the test releases it.
class HeldRegistration final
    : public adapters::operation::Operation<v1::DeleteRegistrationRequest,
                                            v1::DeleteRegistrationResponse> {
 public:
  void Start(adapters::operation::CallContext const& context,
             v1::DeleteRegistrationRequest const& request,
             adapters::operation::Callback<v1::DeleteRegistrationResponse> done) override {
    if (context.trace != nullptr) ++context.trace->sends;
    absl::MutexLock lock(&mu_);
    held_.push_back(std::move(done));
    asked_.push_back(request.sms_voice().registration_id());
  }
  // The registrations asked for, in order.
  std::vector<std::string> asked() {
    absl::MutexLock lock(&mu_);
    return asked_;
  }
  bool WaitHeld(std::size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n] {
      mu_.AssertReaderHeld();
      return held_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  void ReleaseAll() {
    std::vector<adapters::operation::Callback<v1::DeleteRegistrationResponse>> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (auto& done : held) std::move(done)(v1::DeleteRegistrationResponse());
  }
  std::size_t calls() {
    absl::MutexLock lock(&mu_);
    return held_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<adapters::operation::Callback<v1::DeleteRegistrationResponse>> held_;
  std::vector<std::string> asked_;
};

// A job of two SMS steps sent one at a time: r-1 sent and held unanswered,
// r-2 waiting in the queue.
class HeldStepTest : public UnlinkEngineTest {
 protected:
  void StartWithOneHeld() {
    providers_.table<v1::DeleteRegistrationRequest>().Add(v1::DeleteRegistrationRequest::kSmsVoice,
                                                          &Ok, sms_);
    options_.max_steps_in_flight = 1;  // the second step waits for the first
    engine_ = Engine(options_);
    v1::StartUnlinkRequest request;
    *request.add_targets() = Sms("r-1");
    *request.add_targets() = Sms("r-2");
    auto started = Start(*engine_, request);
    ASSERT_TRUE(started.ok()) << started.status();
    name_ = started->name();
    ASSERT_TRUE(sms_->WaitHeld(1));
  }

  std::shared_ptr<HeldRegistration> sms_ = std::make_shared<HeldRegistration>();
  EngineOptions options_;
  std::unique_ptr<UnlinkEngine> engine_;
  std::string name_;
};

TEST_F(HeldStepTest, CancelEndsWaitingStepsAndLetsSentOnesFinish) {
  ASSERT_NO_FATAL_FAILURE(StartWithOneHeld());
  auto& sms = sms_;
  auto& engine = engine_;
  std::string const name = name_;
  ASSERT_TRUE(Cancel(*engine, caller_, name).ok());
  sms->ReleaseAll();
  auto op = WaitFor(*engine, name);
  auto m = Metadata(op);
  EXPECT_TRUE(m.cancel_requested());
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(m.steps(1).state(), v1::UNLINK_STEP_STATE_CANCELLED);
  EXPECT_EQ(op.error().code(), static_cast<int>(absl::StatusCode::kCancelled));
  EXPECT_EQ(sms->calls(), 0u);  // nothing more was sent
}

TEST_F(UnlinkEngineTest, AnotherCallersJobIsNotFound) {
  auto sms = std::make_shared<FakeRegistration>(
      [](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return v1::DeleteRegistrationResponse();
      });
  Register(sms, nullptr);
  auto engine = Engine();
  auto op = Run(*engine, {Sms("r-1")});
  security::Caller other{"other", security::ProvenBy::kNone, ""};
  auto got = Await<google::longrunning::Operation>([&](auto done) {
    engine->views().Get(other, op.name(), absl::Now() + absl::Seconds(10), std::move(done));
  });
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Cancel(*engine, other, op.name()).status().code(), absl::StatusCode::kNotFound);
  JobQuery query;
  EXPECT_EQ(ParseFilter("caller = \"other\"", "svc", query).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ParseFilter("owner = x", "svc", query).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseFilter("caller = \"svc\" AND done = false", "svc", query).ok());
  EXPECT_EQ(query.done, std::optional<bool>(false));
}

TEST_F(UnlinkEngineTest, AThrottledStepWaitsWithItsHistoryAndEndsWhenTheJobsDeadlinePasses) {
  auto sms =
      std::make_shared<FakeRegistration>([](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return absl::ResourceExhaustedError("ThrottlingException: Rate exceeded");
      });
  Register(sms, nullptr);
  EngineOptions options;
  options.job_deadline = absl::Milliseconds(400);
  options.retry_initial_backoff = absl::Milliseconds(20);
  options.retry_max_backoff = absl::Milliseconds(80);
  auto engine = Engine(options);
  auto op = Run(*engine, {Sms("r-1")});
  auto metadata = Metadata(op);
  ASSERT_EQ(metadata.steps_size(), 1);
  auto const& step = metadata.steps(0);
  EXPECT_EQ(step.state(), v1::UNLINK_STEP_STATE_FAILED);
  EXPECT_EQ(step.status().code(), static_cast<int>(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(step.status().message(), HasSubstr("the job's deadline"));
  // Every throttled attempt in the history; none of them did anything.
  EXPECT_GE(step.history_size(), 2);
  EXPECT_EQ(sms->calls(), step.history_size());
  EXPECT_EQ(step.history(0).status().code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
}

// A step takes its provider's turn before its intent is written: a step
// with no turn free is neither recorded as about to send nor sent, and keeps
// its place; the delete is not asked the limit again.
TEST_F(UnlinkEngineTest, AStepWithoutATurnIsNeitherRecordedNorSent) {
  auto sms =
      std::make_shared<FakeRegistration>([](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return v1::DeleteRegistrationResponse();
      });
  Register(sms, nullptr);
  // Every other ask has no turn free (for the next 20 ms); each one taken
  // is what the delete then runs with.
  auto asks = std::make_shared<std::atomic<int>>(0);
  auto turns_taken = std::make_shared<std::atomic<int>>(0);
  providers_.delete_turns["sms_voice"] =
      [asks, turns_taken](absl::AnyInvocable<void(absl::Duration) &&> done) {
        if (++*asks % 2 == 1) return std::move(done)(absl::Milliseconds(20));
        ++*turns_taken;
        std::move(done)(absl::ZeroDuration());
      };
  auto engine = Engine();
  std::vector<v1::UnlinkTarget> targets;
  for (int i = 0; i < 5; ++i) targets.push_back(Sms(absl::StrCat("r-", i)));
  auto metadata = Metadata(Run(*engine, targets));
  ASSERT_EQ(metadata.steps_size(), 5);
  for (auto const& step : metadata.steps()) {
    EXPECT_EQ(step.state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
    // One attempt, nothing before it: the refused turns left no trace.
    EXPECT_EQ(step.attempts(), 1);
    EXPECT_EQ(step.history_size(), 0);
  }
  EXPECT_EQ(sms->calls(), 5);
  EXPECT_EQ(turns_taken->load(), 5);
  EXPECT_GE(asks->load(), 10);
}

TEST_F(UnlinkEngineTest, AnUrgentJobGoesAheadOfABatchStartedBefore) {
  auto sms = std::make_shared<HeldRegistration>();
  providers_.table<v1::DeleteRegistrationRequest>().Add(v1::DeleteRegistrationRequest::kSmsVoice,
                                                        &Ok, sms);
  EngineOptions options;
  options.max_steps_in_flight = 1;
  auto engine = Engine(options);
  v1::StartUnlinkRequest batch;
  for (int i = 0; i < 4; ++i) *batch.add_targets() = Sms(absl::StrCat("batch-", i));
  auto batch_op = Start(*engine, batch);
  ASSERT_TRUE(batch_op.ok()) << batch_op.status();
  ASSERT_TRUE(sms->WaitHeld(1));
  v1::StartUnlinkRequest urgent;
  *urgent.add_targets() = Sms("urgent");
  urgent.set_priority(9);
  auto urgent_op = Start(*engine, urgent);
  ASSERT_TRUE(urgent_op.ok()) << urgent_op.status();
  for (std::size_t n = 2; n <= 5; ++n) {
    sms->ReleaseAll();
    ASSERT_TRUE(sms->WaitHeld(1)) << n;
  }
  sms->ReleaseAll();
  WaitFor(*engine, batch_op->name());
  // The batch's first step was already sent; the urgent one went next.
  EXPECT_THAT(sms->asked(),
              ::testing::ElementsAre("batch-0", "urgent", "batch-1", "batch-2", "batch-3"));
}

TEST_F(UnlinkEngineTest, AStartBeyondTheQueuesBoundIsRefusedWithRetryInfo) {
  auto sms =
      std::make_shared<FakeRegistration>([](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        return v1::DeleteRegistrationResponse();
      });
  Register(sms, nullptr);
  EngineOptions options;
  options.max_waiting_steps = 2;
  auto engine = Engine(options);
  v1::StartUnlinkRequest request;
  for (int i = 0; i < 3; ++i) *request.add_targets() = Sms(absl::StrCat("r-", i));
  auto refused = Start(*engine, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(adapters::errors::RetryDelayOf(refused.status()).has_value());
  EXPECT_EQ(sms->calls(), 0);
}

// A provider's account without a free turn (its rate limit): nothing sent.
TEST_F(UnlinkEngineTest, EachStepGoesToItsAccountAndWaitsOnlyForItsAccountsTurns) {
  auto make = [](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
    return v1::DeleteRegistrationResponse();
  };
  auto us = std::make_shared<FakeRegistration>(make);
  auto eu = std::make_shared<FakeRegistration>(make);
  auto& table = providers_.table<v1::DeleteRegistrationRequest>();
  table.Add(v1::DeleteRegistrationRequest::kSmsVoice, "us", &Ok, us);
  table.Add(v1::DeleteRegistrationRequest::kSmsVoice, "eu", &Ok, eu);
  providers_.repeatable_deletes.insert("sms_voice");
  // Account us's rate limit has no turn free for an hour; eu's has no limit.
  auto us_asks = std::make_shared<std::atomic<int>>(0);
  providers_.delete_turns["sms_voice/us"] =
      [us_asks](absl::AnyInvocable<void(absl::Duration) &&> done) {
        ++*us_asks;
        std::move(done)(absl::Hours(1));
      };
  EngineOptions options;
  options.max_steps_in_flight = 1;
  auto engine = Engine(options);
  v1::StartUnlinkRequest request;
  for (auto [id, account] :
       {std::pair{"r-1", "us"}, std::pair{"r-2", "eu"}, std::pair{"r-3", "eu"}}) {
    auto* target = request.add_targets();
    *target = Sms(id);
    target->mutable_sms_voice_registration()->set_account(account);
  }
  auto started = Start(*engine, request);
  ASSERT_TRUE(started.ok()) << started.status();
  // The eu steps are sent and end while the us one waits for a turn of its
  // own, neither recorded nor sent.
  v1::UnlinkMetadata m;
  for (absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(10))) {
    auto op = Await<google::longrunning::Operation>([&](auto done) {
      engine->views().Get(caller_, started->name(), absl::Now() + absl::Seconds(10),
                          std::move(done));
    });
    ASSERT_TRUE(op.ok()) << op.status();
    m = Metadata(*op);
    if (m.steps(1).state() == v1::UNLINK_STEP_STATE_SUCCEEDED &&
        m.steps(2).state() == v1::UNLINK_STEP_STATE_SUCCEEDED) {
      break;
    }
  }
  EXPECT_EQ(m.steps(1).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(m.steps(2).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(eu->calls(), 2);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_PENDING);
  EXPECT_EQ(m.steps(0).attempts(), 0);
  EXPECT_EQ(m.steps(0).target().sms_voice_registration().account(), "us");
  EXPECT_GE(us_asks->load(), 1);
  EXPECT_EQ(us->calls(), 0);
}

TEST_F(UnlinkEngineTest, AResumedStepGoesToTheAccountItWasStartedWith) {
  // A job a dead gateway left: an SMS step sent in account "eu" without an
  // answer (a repeat is harmless), and an IMIconnect step queued at tenant
  // "apac" whose transaction is followed there.
  StoredJob job;
  auto& m = job.metadata;
  m.set_name("operations/unlink/accounts");
  m.set_caller("svc");
  auto* sms_step = m.add_steps();
  *sms_step->mutable_target() = Sms("r-1");
  sms_step->mutable_target()->mutable_sms_voice_registration()->set_account("eu");
  sms_step->set_state(v1::UNLINK_STEP_STATE_RUNNING);
  sms_step->set_attempts(1);
  auto* imi_step = m.add_steps();
  *imi_step->mutable_target() = Imi("c-1");
  imi_step->mutable_target()->mutable_imiconnect_app_profile()->set_account("apac");
  imi_step->set_state(v1::UNLINK_STEP_STATE_RUNNING);
  imi_step->set_attempts(1);
  imi_step->set_transaction_id("tx-apac");
  ASSERT_TRUE(store_->Create(job, "dead", absl::Now() - absl::Seconds(1)).ok());

  auto make = [](int) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
    return absl::NotFoundError("registration not found");
  };
  auto us = std::make_shared<FakeRegistration>(make);
  auto eu = std::make_shared<FakeRegistration>(make);
  auto& table = providers_.table<v1::DeleteRegistrationRequest>();
  table.Add(v1::DeleteRegistrationRequest::kSmsVoice, "us", &Ok, us);
  table.Add(v1::DeleteRegistrationRequest::kSmsVoice, "eu", &Ok, eu);
  providers_.repeatable_deletes.insert("sms_voice");
  auto asked = std::make_shared<std::vector<std::string>>();
  adapters::operation::FollowUp follow_up;
  follow_up.id_of = [](google::protobuf::Message const&) { return std::string(); };
  follow_up.read = [asked](adapters::operation::CallContext const&, std::string const& account,
                           std::string const& id,
                           adapters::operation::FollowUp::StateCallback done) {
    asked->push_back(absl::StrCat(account, "/", id));
    std::move(done)(adapters::operation::FollowUp::State{v1::PROFILE_TRANSACTION_STATE_SUCCEEDED,
                                                         "1000", "SUCCESS"});
  };
  providers_.follow_ups["imiconnect"] = std::move(follow_up);
  EngineOptions options;
  options.owner = "dead";  // this gateway resumes its own jobs at once
  auto engine = Engine(options);
  auto op = WaitFor(*engine, "operations/unlink/accounts");
  ASSERT_TRUE(op.done());
  auto done = Metadata(op);
  EXPECT_EQ(done.steps(0).state(), v1::UNLINK_STEP_STATE_ALREADY_GONE);
  EXPECT_EQ(eu->calls(), 1);
  EXPECT_EQ(us->calls(), 0);
  EXPECT_EQ(done.steps(1).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_THAT(*asked, ::testing::ElementsAre("apac/tx-apac"));
}

TEST_F(HeldStepTest, AStoppedEngineLeavesItsStepInFlightToTheNextStartAndIgnoresItsLateAnswer) {
  ASSERT_NO_FATAL_FAILURE(StartWithOneHeld());
  auto& sms = sms_;
  auto& engine = engine_;
  // Stopped with r-1 sent and unanswered; its answer comes after (on this
  // thread), goes through the pipeline and its audit trail, and is dropped.
  engine.reset();
  sms->ReleaseAll();
  pipeline_->WaitForCalls();
  // The next start finds r-1 sent without a known outcome: not sent again
  // (SMS is not among the repeatable deletes here), OUTCOME_UNKNOWN; r-2,
  // never sent, is sent now.
  engine = Engine(options_);
  ASSERT_TRUE(sms->WaitHeld(1));
  sms->ReleaseAll();
  auto op = WaitFor(*engine, name_);
  auto m = Metadata(op);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN);
  EXPECT_EQ(m.steps(0).attempts(), 1);
  EXPECT_EQ(m.steps(1).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(sms->asked(), (std::vector<std::string>{"r-1", "r-2"}));
}

// store_ as the engine sees it while its disk refuses writes: an intent
// (a step RUNNING without a transaction) lands; every other write of a
// step — what the provider answered — fails while `failing`.
class OutcomesRefused final : public JobStore {
 public:
  explicit OutcomesRefused(JobStore& store) : store_(store) {}

  absl::StatusOr<Created> Create(StoredJob const& job, std::string const& owner,
                                 absl::Time lease_until) override {
    return store_.Create(job, owner, lease_until);
  }
  absl::Status SaveStep(std::string const& name, std::string const& owner, int index,
                        v1::UnlinkStep const& step) override {
    bool intent = step.state() == v1::UNLINK_STEP_STATE_RUNNING && step.transaction_id().empty();
    if (failing.load() && !intent) {
      ++refused;
      return absl::UnavailableError("disk I/O error");
    }
    return store_.SaveStep(name, owner, index, step);
  }
  absl::Status MarkCancelRequested(std::string const& name) override {
    return store_.MarkCancelRequested(name);
  }
  absl::Status MarkDone(std::string const& name, std::string const& owner) override {
    return store_.MarkDone(name, owner);
  }
  absl::StatusOr<std::optional<StoredJob>> Get(std::string const& name) override {
    return store_.Get(name);
  }
  absl::StatusOr<JobPage> List(JobQuery const& query) override { return store_.List(query); }
  absl::StatusOr<std::vector<StoredJob>> Claim(std::string const& owner, absl::Time now,
                                               absl::Time lease_until, Held held) override {
    ++claims;
    return store_.Claim(owner, now, lease_until, held);
  }
  absl::Status Renew(std::string const& owner, absl::Time lease_until) override {
    ++renewals;
    return store_.Renew(owner, lease_until);
  }
  absl::StatusOr<int> Purge(absl::Time before) override { return store_.Purge(before); }

  std::atomic<bool> failing{false};
  std::atomic<int> refused{0};
  std::atomic<int> claims{0};
  std::atomic<int> renewals{0};

 private:
  JobStore& store_;
};

// Polls `done` (bounded): true once it holds.
bool Eventually(std::function<bool()> const& done) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST_F(UnlinkEngineTest, AnAnswerTheStoreRefusesIsWrittenAgainAndTheStepGoesOnFromIt) {
  // IMIconnect queues the delete as "tx-7"; the store refuses that answer
  // for a while. It must neither be lost (a restart would call the step
  // OUTCOME_UNKNOWN, "stopped before its answer", without the transaction)
  // nor leave the step RUNNING: once written, the transaction is followed.
  auto imi = QueuedAs("tx-7");
  auto transactions =
      std::make_shared<FakeTransaction>([](int) -> absl::StatusOr<v1::ProfileTransaction> {
        v1::ProfileTransaction tx;
        tx.mutable_imiconnect()->set_transaction_id("tx-7");
        tx.mutable_imiconnect()->set_state(v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
        return tx;
      });
  Register(nullptr, imi, transactions);
  OutcomesRefused store(*store_);
  engine_store_ = &store;
  store.failing = true;
  EngineOptions options;
  options.lease = absl::Milliseconds(600);  // claims every 200 ms
  auto engine = Engine(options);
  v1::StartUnlinkRequest request;
  *request.add_targets() = Imi("c-1");
  auto started = Start(*engine, request);
  ASSERT_TRUE(started.ok()) << started.status();
  // Sent once; its answer refused, and written again with backoff.
  ASSERT_TRUE(Eventually([&] { return store.refused.load() >= 3; }));
  EXPECT_EQ(imi->calls(), 1);
  // Meanwhile another replica's job lapses: this one takes on no more work
  // while it cannot record what it has (its leases are still renewed).
  StoredJob lapsed;
  lapsed.metadata.set_name("operations/unlink/lapsed");
  lapsed.metadata.set_caller("svc");
  *lapsed.metadata.add_steps()->mutable_target() = Imi("c-2");
  lapsed.metadata.mutable_steps(0)->set_state(v1::UNLINK_STEP_STATE_PENDING);
  ASSERT_TRUE(store_->Create(lapsed, "dead", absl::Now() - absl::Seconds(1)).ok());
  int const claims = store.claims.load();
  int const renewals = store.renewals.load();
  ASSERT_TRUE(Eventually([&] { return store.renewals.load() >= renewals + 2; }));
  EXPECT_EQ(store.claims.load(), claims);
  EXPECT_EQ(imi->calls(), 1);
  // The store takes writes again: the answer lands, the transaction is
  // followed to its end, and the lapsed job is taken on.
  store.failing = false;
  auto op = WaitFor(*engine, started->name());
  auto m = Metadata(op);
  EXPECT_EQ(m.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(m.steps(0).attempts(), 1);
  EXPECT_EQ(TransactionIdOf(m.steps(0)), "tx-7");
  EXPECT_FALSE(op.has_error()) << op.error().message();
  ASSERT_TRUE(Eventually([&] {
    auto stored = store_->Get("operations/unlink/lapsed");
    return stored.ok() && stored->has_value() && (*stored)->done;
  }));
  EXPECT_EQ((*store_->Get("operations/unlink/lapsed"))->metadata.steps(0).state(),
            v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(imi->calls(), 2);  // c-1 once, c-2 once
}

TEST_F(UnlinkEngineTest, OnceTheProviderAnswersAgainStepsBackingOffGoOnWithoutWaitingTheirBackoff) {
  // The first call is throttled (a moment's jitter, or the end of an
  // outage); the next answers. r-1 waits a backoff of an hour by itself;
  // r-2's answer shows the provider takes calls again, so r-1 goes on now.
  auto sms = std::make_shared<FakeRegistration>(
      [](int call) -> absl::StatusOr<v1::DeleteRegistrationResponse> {
        if (call == 1) return absl::ResourceExhaustedError("ThrottlingException: Rate exceeded");
        return v1::DeleteRegistrationResponse();
      });
  Register(sms, nullptr);
  EngineOptions options;
  options.max_steps_in_flight = 1;  // r-1 is answered before r-2 is sent
  options.retry_initial_backoff = absl::Hours(1);
  options.retry_max_backoff = absl::Hours(2);
  auto engine = Engine(options);
  auto op = Run(*engine, {Sms("r-1"), Sms("r-2")});
  ASSERT_TRUE(op.done());
  auto m = Metadata(op);
  for (auto const& step : m.steps()) EXPECT_EQ(step.state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  ASSERT_EQ(m.steps(0).history_size(), 1);
  EXPECT_EQ(m.steps(0).history(0).status().code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(m.steps(1).history_size(), 0);
  EXPECT_EQ(sms->calls(), 3);
}

}  // namespace
}  // namespace linkgateway::server::unlink
