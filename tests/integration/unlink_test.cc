// Unlink jobs end to end: the real gateway binary, the HTTPS emulators of
// all four providers, a real SQLite job store on disk; the gateway killed
// with SIGKILL in the middle of a job.
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/wait_operation.h"

namespace linkgateway::tests::integration {
namespace {

using ::google::longrunning::Operation;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::Emulator;

constexpr char kApp[] = "a_635736738702976937";

class UnlinkTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void SetUp() override { StartWith(Options()); }

  // `unlink` is added inside the configuration's unlink { ... }.
  tests::testing::EmulatedGatewayOptions Options(int max_steps_in_flight = 64,
                                                 std::string const& unlink = "") {
    static int counter = 0;
    state_dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/unlink-", ++counter);
    ::mkdir(state_dir_.c_str(), 0700);
    tests::testing::EmulatedGatewayOptions options;
    options.extra_config =
        absl::StrCat("unlink {\n  state_directory: \"", state_dir_,
                     "\"\n  replica_id: \"replica-a\"\n  follow_interval { nanos: 100000000 }\n",
                     "  max_steps_in_flight: ", max_steps_in_flight, "\n", unlink, "}\n");
    return options;
  }

  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    unlink_ = v1::UnlinkService::NewStub(channel);
    operations_ = google::longrunning::Operations::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(20)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }

  // One link at each provider, seeded at the emulators.
  std::vector<v1::UnlinkTarget> SeedAll(std::string const& suffix) {
    auto device = env_->Control(
        "devices", absl::StrCat(R"({"model":"m","device":"serial-)", suffix, R"(","slots":{}})"));
    EXPECT_TRUE(device.ok()) << device.status();
    EXPECT_TRUE(env_->Control("subscriptions",
                              absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                           R"("subscriptionId":"sub-)", suffix, R"("})"))
                    .ok());
    EXPECT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                              absl::StrCat(R"({"RegistrationId":"registration-)", suffix, R"("})"))
                    .ok());
    EXPECT_TRUE(env_->Control(Emulator::kImiconnect, "profiles",
                              absl::StrCat(R"({"appId":")", kApp, R"(","customerId":"c-)", suffix,
                                           R"(","deviceId":"d-)", suffix, R"("})"))
                    .ok());
    std::vector<v1::UnlinkTarget> targets(4);
    device_tokens_[suffix] = device.ok() ? device->fields().at("accessToken").string_value() : "";
    targets[0].mutable_dash_replenishment_device()->set_access_token(device_tokens_[suffix]);
    targets[1].mutable_sms_voice_registration()->set_registration_id(
        absl::StrCat("registration-", suffix));
    auto* sp = targets[2].mutable_selling_partner_subscription();
    sp->set_notification_type("ANY_OFFER_CHANGED");
    sp->set_subscription_id(absl::StrCat("sub-", suffix));
    auto* imi = targets[3].mutable_imiconnect_app_profile();
    imi->set_app_id(kApp);
    imi->set_customer_id(absl::StrCat("c-", suffix));
    imi->set_device_id(absl::StrCat("d-", suffix));
    return targets;
  }

  grpc::Status Start(std::vector<v1::UnlinkTarget> const& targets, Operation* op,
                     std::string const& request_id = "", bool validate_only = false) {
    v1::StartUnlinkRequest request;
    for (auto const& t : targets) *request.add_targets() = t;
    request.set_request_id(request_id);
    request.set_validate_only(validate_only);
    return unlink_->StartUnlink(Context().get(), request, op);
  }

  // Waits (WaitOperation, bounded) until the operation is done.
  Operation WaitDone(std::string const& name, absl::Duration limit = absl::Seconds(60)) {
    return tests::testing::WaitDone(
        *operations_, name, [this] { return Context(); }, limit);
  }

  static v1::UnlinkMetadata MetadataOf(Operation const& op) {
    v1::UnlinkMetadata metadata;
    EXPECT_TRUE(op.metadata().UnpackTo(&metadata));
    return metadata;
  }

  // The DELETEs (or, for SMS and Voice, DeleteRegistration POSTs) that
  // reached each emulator for these targets.
  std::map<std::string, int> DeletesSeen(std::string const& suffix) {
    std::map<std::string, int> seen;
    for (auto const& r : env_->Received(Emulator::kAmazon, "/")) {
      auto const& f = r.fields();
      if (f.at("method").string_value() != "DELETE") continue;
      std::string path = f.at("path").string_value();
      auto const& headers = f.at("headers").struct_value().fields();
      auto authorization = headers.find("authorization");
      // A device is named by its token alone (API 2.0).
      if (absl::StrContains(path, "/registration") && authorization != headers.end() &&
          absl::StrContains(authorization->second.string_value(), device_tokens_[suffix])) {
        ++seen["dash_replenishment"];
      }
      if (absl::StrContains(path, absl::StrCat("sub-", suffix))) ++seen["selling_partner"];
    }
    for (auto const& r : env_->Received(Emulator::kSmsVoice, "/")) {
      auto const& headers = r.fields().at("headers").struct_value().fields();
      auto target = headers.find("x-amz-target");
      if (target != headers.end() &&
          absl::StrContains(target->second.string_value(), "DeleteRegistration") &&
          absl::StrContains(r.fields().at("body").string_value(),
                            absl::StrCat("registration-", suffix))) {
        ++seen["sms_voice"];
      }
    }
    for (auto const& r : env_->Received(Emulator::kImiconnect, "/")) {
      auto const& f = r.fields();
      if (f.at("method").string_value() == "DELETE" &&
          absl::StrContains(f.at("path").string_value(), absl::StrCat("c-", suffix))) {
        ++seen["imiconnect"];
      }
    }
    return seen;
  }

  // Every provider holds its answer to the next delete for 4 s (and then
  // acts on it): a gateway killed meanwhile dies with them all sent.
  void HoldTheNextDeletes() {
    ASSERT_TRUE(env_->Control("scenarios", R"({"path":"DELETE|subscriptions|registration",)"
                                           R"("delayMs":4000,"times":2})")
                    .ok());
    ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "scenarios",
                              R"({"path":"/","delayMs":4000,"times":1})")
                    .ok());
    ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "scenarios",
                              R"({"path":"customerappprofile","delayMs":4000,"times":1})")
                    .ok());
  }

  // Waits (bounded) until a delete for each of the four targets arrived.
  bool AllFourSent(std::string const& suffix) {
    absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      if (DeletesSeen(suffix).size() == 4) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::vector<std::string> AuditLines() {
    std::ifstream in(env_->audit_path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string state_dir_;
  std::map<std::string, std::string> device_tokens_;  // by SeedAll's suffix
  std::unique_ptr<v1::UnlinkService::Stub> unlink_;
  std::unique_ptr<google::longrunning::Operations::Stub> operations_;
};

TEST_F(UnlinkTest, AJobOverAllFourProvidersSucceedsAndWatchStreamsEveryChange) {
  auto targets = SeedAll("ok");
  Operation started;
  ASSERT_TRUE(Start(targets, &started).ok());
  ASSERT_THAT(started.name(), HasSubstr("operations/unlink/"));
  EXPECT_FALSE(started.done());
  // No access token in what the job shows.
  EXPECT_EQ(MetadataOf(started).steps(0).target().dash_replenishment_device().access_token(), "");

  auto context = Context(absl::Seconds(60));
  v1::WatchUnlinkRequest watch;
  watch.set_name(started.name());
  auto reader = unlink_->WatchUnlink(context.get(), watch);
  std::vector<v1::UnlinkMetadata> seen;
  v1::UnlinkMetadata metadata;
  while (reader->Read(&metadata)) seen.push_back(metadata);
  grpc::Status finished = reader->Finish();
  ASSERT_TRUE(finished.ok()) << finished.error_message();
  ASSERT_FALSE(seen.empty());
  // Every step ends SUCCEEDED, and the stream showed each one change.
  auto const& last = seen.back();
  ASSERT_EQ(last.steps_size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(last.steps(i).state(), v1::UNLINK_STEP_STATE_SUCCEEDED) << i;
    EXPECT_EQ(last.steps(i).attempts(), 1) << i;
  }
  std::set<std::pair<int, int>> transitions;
  for (auto const& m : seen) {
    for (int i = 0; i < m.steps_size(); ++i) transitions.insert({i, m.steps(i).state()});
  }
  EXPECT_THAT(transitions, Contains(std::make_pair(3, int{v1::UNLINK_STEP_STATE_RUNNING})));
  EXPECT_EQ(last.steps(3).imiconnect_transaction_state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  EXPECT_FALSE(last.steps(3).imiconnect_transaction_id().empty());
  EXPECT_FALSE(last.steps(1).upstream_request_id().empty());

  // The Operations service knows it: Get, List (the caller's own).
  google::longrunning::GetOperationRequest get;
  get.set_name(started.name());
  Operation op;
  ASSERT_TRUE(operations_->GetOperation(Context().get(), get, &op).ok());
  EXPECT_TRUE(op.done());
  v1::UnlinkResult result;
  ASSERT_TRUE(op.response().UnpackTo(&result)) << op.DebugString();
  EXPECT_EQ(result.steps_size(), 4);
  google::longrunning::ListOperationsRequest list;
  list.set_filter("done = true");
  google::longrunning::ListOperationsResponse listed;
  ASSERT_TRUE(operations_->ListOperations(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.operations_size(), 1);
  EXPECT_EQ(listed.operations(0).name(), started.name());

  // Each step is in the audit trail as the single delete it stands for.
  int audited = 0;
  for (auto const& line : AuditLines()) {
    if (absl::StrContains(line, started.name())) {
      ++audited;
      EXPECT_THAT(line, Not(HasSubstr(targets[0].dash_replenishment_device().access_token())));
    }
  }
  EXPECT_GE(audited, 4);
  auto seen_deletes = DeletesSeen("ok");
  for (char const* provider : {"dash_replenishment", "sms_voice", "selling_partner", "imiconnect"}) {
    EXPECT_EQ(seen_deletes[provider], 1) << provider;
  }
}

TEST_F(UnlinkTest, ValidateOnlyChecksEveryTargetAndSendsNothing) {
  auto targets = SeedAll("dry");
  Operation op;
  ASSERT_TRUE(Start(targets, &op, "", /*validate_only=*/true).ok());
  EXPECT_TRUE(op.done());
  EXPECT_TRUE(MetadataOf(op).validate_only());
  EXPECT_TRUE(DeletesSeen("dry").empty());
  // A broken target is named with its index and field.
  targets[1].mutable_sms_voice_registration()->set_registration_id("bad id!");
  grpc::Status refused = Start(targets, &op, "", true);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("targets[1]"));
  // The same target twice is refused.
  std::vector<v1::UnlinkTarget> twice = {targets[2], targets[2]};
  refused = Start(twice, &op);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("at most once"));
}

TEST_F(UnlinkTest, ARepeatedRequestIdReturnsTheSameOperation) {
  auto targets = SeedAll("rid");
  std::string const id = "0f0e7b5e-4b8a-4c55-9a8e-2d2f7b1c9e11";
  Operation first, second;
  ASSERT_TRUE(Start(targets, &first, id).ok());
  ASSERT_TRUE(Start(targets, &second, id).ok());
  EXPECT_EQ(first.name(), second.name());
  WaitDone(first.name());
  EXPECT_EQ(DeletesSeen("rid")["imiconnect"], 1);
  // The same id with other targets is refused.
  grpc::Status reused = Start({targets[1]}, &second, id);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UnlinkTest, FailingStepsEndWithAPreciseReport) {
  auto targets = SeedAll("fail");
  // SMS and Voice refuses (access denied); the SP-API subscription is
  // already gone; IMIconnect and Dash Replenishment succeed.
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "scenarios",
                            R"({"path":"/","status":403,"times":-1,)"
                            R"("headers":{"x-amzn-ErrorType":"AccessDeniedException"},)"
                            R"("body":{"__type":"AccessDeniedException","Message":"denied"}})")
                  .ok());
  targets[2].mutable_selling_partner_subscription()->set_subscription_id("sub-never-there");
  Operation op;
  ASSERT_TRUE(Start(targets, &op).ok());
  op = WaitDone(op.name());
  ASSERT_TRUE(op.done());
  ASSERT_TRUE(op.has_error()) << op.DebugString();
  EXPECT_EQ(op.error().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(op.error().message(), HasSubstr("1 of 4 steps"));
  auto metadata = MetadataOf(op);
  EXPECT_EQ(metadata.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(metadata.steps(1).state(), v1::UNLINK_STEP_STATE_FAILED);
  EXPECT_EQ(metadata.steps(1).status().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(metadata.steps(2).state(), v1::UNLINK_STEP_STATE_ALREADY_GONE);
  EXPECT_EQ(metadata.steps(2).status().code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(metadata.steps(3).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
}

TEST_F(UnlinkTest, AKilledGatewayFinishesTheJobAfterItsRestartAndSendsNoIrreversibleDeleteTwice) {
  auto targets = SeedAll("crash");
  // Every provider holds its answer: the gateway dies with all four sent.
  HoldTheNextDeletes();
  Operation op;
  ASSERT_TRUE(Start(targets, &op).ok());
  ASSERT_TRUE(AllFourSent("crash"));
  ASSERT_TRUE(env_->Restart(0, SIGKILL).ok());
  Connected(env_->channel());

  Operation done = WaitDone(op.name());
  ASSERT_TRUE(done.done()) << done.DebugString();
  auto metadata = MetadataOf(done);
  // Resent where a repeat is harmless and proves the end state.
  for (int i : {1, 2}) {
    EXPECT_THAT(metadata.steps(i).state(),
                ::testing::AnyOf(v1::UNLINK_STEP_STATE_SUCCEEDED,
                                 v1::UNLINK_STEP_STATE_ALREADY_GONE))
        << i << " " << metadata.steps(i).DebugString();
    EXPECT_EQ(metadata.steps(i).attempts(), 2) << i;
  }
  // Never resent: the outcome is unknown, with the evidence.
  for (int i : {0, 3}) {
    EXPECT_EQ(metadata.steps(i).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN)
        << i << " " << metadata.steps(i).DebugString();
    EXPECT_EQ(metadata.steps(i).status().code(), grpc::StatusCode::UNKNOWN);
    EXPECT_THAT(metadata.steps(i).status().message(), HasSubstr("never sent twice"));
  }
  EXPECT_EQ(done.error().code(), grpc::StatusCode::UNKNOWN);
  auto seen = DeletesSeen("crash");
  EXPECT_EQ(seen["dash_replenishment"], 1);
  EXPECT_EQ(seen["imiconnect"], 1);
  EXPECT_EQ(seen["sms_voice"], 2);
  EXPECT_EQ(seen["selling_partner"], 2);
}

TEST_F(UnlinkTest, CancelStopsStepsNotYetSentAndAnotherCallerSeesNothing) {
  StartWith(Options(/*max_steps_in_flight=*/1));
  auto targets = SeedAll("cancel");
  // One step at a time, and the Dash Replenishment answer is held: the
  // cancel arrives while it runs and the SMS and Voice step waits.
  ASSERT_TRUE(
      env_->Control("scenarios", R"({"path":"registration","delayMs":1500,"times":1})").ok());
  Operation op;
  ASSERT_TRUE(Start({targets[0], targets[1]}, &op).ok());
  google::longrunning::CancelOperationRequest cancel;
  cancel.set_name(op.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(operations_->CancelOperation(Context().get(), cancel, &empty).ok());
  Operation done = WaitDone(op.name());
  auto metadata = MetadataOf(done);
  EXPECT_TRUE(metadata.cancel_requested());
  // Sent before the cancel: it finishes and is reported; the other never
  // went out.
  EXPECT_EQ(metadata.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(metadata.steps(1).state(), v1::UNLINK_STEP_STATE_CANCELLED);
  EXPECT_EQ(done.error().code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(DeletesSeen("cancel")["sms_voice"], 0);

  google::longrunning::GetOperationRequest get;
  get.set_name("operations/unlink/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(operations_->GetOperation(Context().get(), get, &done).error_code(),
            grpc::StatusCode::NOT_FOUND);
  google::longrunning::DeleteOperationRequest remove;
  remove.set_name(op.name());
  EXPECT_EQ(operations_->DeleteOperation(Context().get(), remove, &empty).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(UnlinkTest, ThrottledStepsWaitTheThrottleOutAndFinishWithTheirHistory) {
  // Short backoffs, so the test waits seconds, not minutes.
  StartWith(Options(64,
                    "  retry_initial_backoff { nanos: 200000000 }\n"
                    "  retry_max_backoff { seconds: 1 }\n"));
  std::vector<v1::UnlinkTarget> targets;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                              absl::StrCat(R"({"RegistrationId":"throttled-)", i, R"("})"))
                    .ok());
    targets.emplace_back().mutable_sms_voice_registration()->set_registration_id(
        absl::StrCat("throttled-", i));
  }
  // SMS and Voice throttles everything for 3 s (ThrottlingException).
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "scenarios",
                            R"({"path":"/","status":400,"times":-1,"ttlMs":3000,)"
                            R"("body":{"__type":"ThrottlingException","message":"Rate exceeded"}})")
                  .ok());
  Operation op;
  ASSERT_TRUE(Start(targets, &op).ok());
  Operation done = WaitDone(op.name());
  ASSERT_TRUE(done.done());
  auto metadata = MetadataOf(done);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    auto const& step = metadata.steps(i);
    EXPECT_EQ(step.state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
    // Each throttled attempt is in the step's history with its next one.
    ASSERT_GE(step.history_size(), 1);
    EXPECT_EQ(step.history(0).status().code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(step.history(0).has_next_attempt_time());
  }
  EXPECT_FALSE(done.has_error()) << done.error().message();
  // Each registration was deleted once (the throttled attempts did nothing).
  EXPECT_EQ(env_->StatusCount(Emulator::kSmsVoice, 200), 3);
}

TEST_F(UnlinkTest, StepsPaceThemselvesWithinTheRateLimitAndLeaveCallersTheirTurns) {
  // Each attempt may take 1 s, far less than the plan needs to send them
  // all: steps wait their turn in the queue, not in the attempt.
  auto options = Options(64, "  step_deadline { seconds: 1 }\n");
  // A raised usage plan (5 requests/s) at the gateway and the emulator
  // alike, so the test takes seconds. The gateway sends with burst 1; the
  // emulator allows burst 2, one request of slack for the delivery jitter
  // between two buckets of the same rate (under ASan in CI, two requests
  // sent 200 ms apart once arrived closer). Unpaced, 18 requests at once
  // would still be refused by the dozen.
  options.amazon_args = {"--sp-rate", "5", "--sp-burst", "2"};
  options.selling_partner_config =
      "delete_subscription_rate_limit { requests_per_second: 5 burst: 1 }\n";
  StartWith(options);
  constexpr int kSteps = 15;
  std::vector<v1::UnlinkTarget> targets;
  for (int i = 0; i < kSteps + 3; ++i) {
    ASSERT_TRUE(
        env_->Control("subscriptions", absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                                    R"("subscriptionId":"paced-)", i, R"("})"))
            .ok());
    v1::UnlinkTarget target;
    auto* sp = target.mutable_selling_partner_subscription();
    sp->set_notification_type("ANY_OFFER_CHANGED");
    sp->set_subscription_id(absl::StrCat("paced-", i));
    if (i < kSteps) targets.push_back(target);
  }
  Operation op;
  ASSERT_TRUE(Start(targets, &op).ok());
  // Callers' own deletes while the job's steps wait for the plan: each
  // takes a turn ahead of them and succeeds.
  auto subscriptions = v1::SubscriptionService::NewStub(env_->channel());
  for (int i = kSteps; i < kSteps + 3; ++i) {
    v1::DeleteSubscriptionRequest request;
    request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
    request.mutable_selling_partner()->set_subscription_id(absl::StrCat("paced-", i));
    v1::DeleteSubscriptionResponse response;
    grpc::Status status = subscriptions->DeleteSubscription(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  Operation done = WaitDone(op.name());
  ASSERT_TRUE(done.done());
  EXPECT_FALSE(done.has_error()) << done.error().message();
  auto metadata = MetadataOf(done);
  for (auto const& step : metadata.steps()) {
    EXPECT_EQ(step.state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
    // Waiting for a turn is not an attempt.
    EXPECT_EQ(step.attempts(), 1);
  }
  // Paced by the gateway: the emulator never had to refuse one.
  EXPECT_EQ(env_->StatusCount(Emulator::kAmazon, 429), 0);
}

// Two replicas sharing jobs in a real PostgreSQL: one dies mid-job, the
// other finishes it.
class UnlinkOnPostgresTest : public UnlinkTest {
 protected:
  void SetUp() override {
    auto postgres = tests::testing::PostgresServer::Start();
    ASSERT_TRUE(postgres.ok()) << postgres.status();
    postgres_ = *std::move(postgres);
    // The connection string is a secret: from a file, like a password.
    std::string conninfo_file = absl::StrCat(std::getenv("TEST_TMPDIR"), "/pg-conninfo");
    std::ofstream(conninfo_file) << postgres_->conninfo() << "\n";
    tests::testing::EmulatedGatewayOptions options;
    options.replicas = 2;
    options.extra_config = absl::StrCat(
        "unlink {\n  postgres { file: \"", conninfo_file,
        "\" }\n  lease { seconds: 2 }\n  follow_interval { nanos: 100000000 }\n}\n");
    StartWith(options);
  }

  std::unique_ptr<tests::testing::PostgresServer> postgres_;
};

TEST_F(UnlinkOnPostgresTest, AnotherReplicaFinishesTheJobOfOneKilledMidJob) {
  auto targets = SeedAll("pg");
  HoldTheNextDeletes();
  Operation op;
  ASSERT_TRUE(Start(targets, &op).ok());  // at replica 0
  ASSERT_TRUE(AllFourSent("pg"));
  env_->replica(0).Stop(SIGKILL);

  // Replica 1 sees the job at once (the store is shared) and resumes it
  // once replica 0's lease lapsed.
  Connected(grpc::CreateChannel(env_->replica(1).address(), grpc::InsecureChannelCredentials()));
  Operation done = WaitDone(op.name());
  ASSERT_TRUE(done.done()) << done.DebugString();
  auto metadata = MetadataOf(done);
  for (int i : {1, 2}) {
    EXPECT_THAT(metadata.steps(i).state(),
                ::testing::AnyOf(v1::UNLINK_STEP_STATE_SUCCEEDED,
                                 v1::UNLINK_STEP_STATE_ALREADY_GONE))
        << i;
    EXPECT_EQ(metadata.steps(i).attempts(), 2) << i;
  }
  for (int i : {0, 3}) {
    EXPECT_EQ(metadata.steps(i).state(), v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN) << i;
  }
  auto seen = DeletesSeen("pg");
  EXPECT_EQ(seen["dash_replenishment"], 1);
  EXPECT_EQ(seen["imiconnect"], 1);
  EXPECT_EQ(seen["sms_voice"], 2);
  EXPECT_EQ(seen["selling_partner"], 2);

  // A job started at the survivor runs there, each delete once.
  auto more = SeedAll("pg2");
  Operation second;
  ASSERT_TRUE(Start(more, &second).ok());
  Operation finished = WaitDone(second.name());
  EXPECT_FALSE(finished.has_error()) << finished.DebugString();
  for (auto const& [provider, count] : DeletesSeen("pg2")) EXPECT_EQ(count, 1) << provider;
}

}  // namespace
}  // namespace linkgateway::tests::integration
