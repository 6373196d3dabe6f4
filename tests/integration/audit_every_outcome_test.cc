// Every audited method leaves exactly one audit record for each outcome of a
// call — allowed, denied, unauthenticated, invalid, dry run, failed — on
// disk before the caller has its answer. The audited methods are taken from
// the gateway's own method set (the provider RPCs' one list and the job
// methods), so a destructive method added later fails here until its
// outcomes are listed below. The real binary, the emulators, loopback.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/audit/audit_log.h"
#include "server/call/call_limiter.h"
#include "server/call/connection_limiter.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/methods/provider_methods.h"
#include "server/security/authenticator.h"
#include "server/security/token_file.h"
#include "server/unlink/job_methods.h"
#include "server/unlink/sqlite_job_store.h"
#include "server/unlink/unlink_engine.h"
#include "tests/testing/emulated_gateway.h"

namespace linkgateway::tests::integration {
namespace {

using tests::testing::Emulator;

constexpr char kOpsToken[] = "ops-token-5b1e0c7d9a2f4e68";
constexpr char kReaderToken[] = "reader-token-0d4c8b7a6e5f";

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

// The methods the gateway audits, from the same code that builds its
// services: the provider RPCs and the job methods, in a method set of this
// process's own (an engine over a scratch store, nothing started).
class AuditedMethods {
 public:
  AuditedMethods() {
    auto store = server::unlink::SqliteJobStore::Open(Dir() + "/methods.sqlite3");
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    server::methods::AddProviderMethods(providers_, methods_);
    engine_ = std::make_unique<server::unlink::UnlinkEngine>(*store_, pipeline_, methods_,
                                                             providers_,
                                                             server::unlink::EngineOptions{});
    server::unlink::AddJobMethods(*engine_, methods_);
  }

  std::vector<server::call::Method const*> All() const {
    std::vector<server::call::Method const*> audited;
    for (auto const* method : methods_.All()) {
      if (method->audited()) audited.push_back(method);
    }
    return audited;
  }

 private:
  server::call::CallLimiter limiter_{1};
  server::call::ConnectionLimiter connections_{1, [](std::string const&) {}};
  server::security::Authenticator authenticator_;
  server::audit::AuditLog audit_{{}};
  server::idempotency::MemoryIdempotencyStore idempotency_{1};
  observability::metrics::GatewayMetrics metrics_;
  server::call::RefusalBudget refusals_;
  server::call::Serving serving_{absl::Seconds(1), limiter_, connections_, authenticator_,
                                 nullptr,          audit_,   idempotency_, absl::Hours(1),
                                 metrics_,         nullptr,  refusals_};
  server::call::Pipeline pipeline_{serving_};
  adapters::operation::ProviderRegistry providers_;
  server::call::MethodSet methods_;
  std::unique_ptr<server::unlink::SqliteJobStore> store_;
  std::unique_ptr<server::unlink::UnlinkEngine> engine_;
};

// One call of a method, with the outcome it must have.
struct Case {
  std::string outcome;  // allowed, denied, unauthenticated, invalid, dry run, failed
  std::string token;    // "" = none
  std::string json;     // the request
  grpc::StatusCode code;
  bool any_error = false;  // `code` is "anything but OK" (the provider's own error)
};

class AuditEveryOutcomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tokens = Dir() + "/tokens.txt";
    std::ofstream(tokens) << server::security::HashTokenLine("ops", kOpsToken) << "\n"
                          << server::security::HashTokenLine("reader", kReaderToken) << "\n";
    std::string policy = Dir() + "/policy.json";
    // Ops may do everything; reader only read operations.
    std::ofstream(policy) << R"({"name": "audit-test", "allow_rules": [
      {"name": "ops", "source": {"principals": ["token:ops"]}},
      {"name": "reader", "source": {"principals": ["token:reader"]},
       "request": {"paths": ["/google.longrunning.Operations/GetOperation"]}}]})";
    audit_ = Dir() + "/audit-every-outcome.jsonl";
    std::remove(audit_.c_str());
    tests::testing::EmulatedGatewayOptions options;
    options.security_config =
        absl::StrCat("plaintext: true\nauthentication { token_file: \"", tokens, "\" }\n",
                     "policy_file: \"", policy, "\"\naudit { path: \"", audit_, "\" }");
    auto env = tests::testing::EmulatedGateway::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  // The audit records of calls of `method` made by callers (not a job's
  // steps), as they stand on disk now.
  std::vector<linkgateway::audit::v1::AuditRecord> Records(std::string const& method) {
    std::vector<linkgateway::audit::v1::AuditRecord> records;
    std::ifstream in(audit_);
    std::string line;
    while (std::getline(in, line)) {
      linkgateway::audit::v1::AuditRecord record;
      if (!google::protobuf::util::JsonStringToMessage(line, &record).ok()) continue;
      bool step = record.unlink_step() >= 0 && !record.unlink_operation().empty() &&
                  record.method() != "/linkgateway.v1.UnlinkService/StartUnlink" &&
                  record.method().rfind("/google.longrunning.", 0) != 0;
      if (record.method() == method && !step) records.push_back(std::move(record));
    }
    return records;
  }

  // Calls `method` with `json` (its request type's proto3 JSON) and returns
  // the status and the answer's JSON.
  grpc::Status Call(server::call::Method const& method, std::string const& token,
                    std::string const& json, std::string* answer = nullptr) {
    std::unique_ptr<google::protobuf::Message> request(method.request_prototype().New());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, request.get()).ok()) << json;
    grpc::GenericStub stub(env_->channel());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method.path(), grpc::StubOptions(), &in, &out,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    if (status.ok() && answer != nullptr) {
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(out.Dump(&slices).ok());
      std::string got;
      for (auto const& s : slices) got.append(reinterpret_cast<char const*>(s.begin()), s.size());
      std::unique_ptr<google::protobuf::Message> response(method.response_prototype().New());
      EXPECT_TRUE(response->ParseFromString(got));
      EXPECT_TRUE(google::protobuf::util::MessageToJsonString(*response, answer).ok());
    }
    return status;
  }

  // A job of ops', for the methods that name one.
  std::string StartJob(AuditedMethods const& methods) {
    for (auto const* method : methods.All()) {
      if (method->path() != "/linkgateway.v1.UnlinkService/StartUnlink") continue;
      std::string answer;
      grpc::Status status = Call(
          *method, kOpsToken,
          R"({"targets": [{"smsVoiceRegistration": {"registrationId": "reg-for-a-job"}}]})",
          &answer);
      EXPECT_TRUE(status.ok()) << status.error_message();
      auto at = answer.find("operations/unlink/");
      return at == std::string::npos ? "" : answer.substr(at, answer.find('"', at) - at);
    }
    return "";
  }

  std::map<std::string, std::vector<Case>> Cases(std::string const& job) {
    auto sms = [](std::string const& id, bool dry = false) {
      return absl::StrCat(R"({)", dry ? R"("validateOnly": true, )" : "",
                          R"("smsVoice": {"registrationId": ")", id, R"("}})");
    };
    auto sp = [](std::string const& id, bool dry = false) {
      return absl::StrCat(R"({)", dry ? R"("validateOnly": true, )" : "",
                          R"("sellingPartner": {"notificationType": "ANY_OFFER_CHANGED", )",
                          R"("subscriptionId": ")", id, R"("}})");
    };
    auto imi = [](std::string const& customer, bool dry = false) {
      return absl::StrCat(R"({)", dry ? R"("validateOnly": true, )" : "",
                          R"("imiconnect": {"appId": "app-1", "customerId": ")", customer,
                          R"(", "deviceId": "dev-1"}})");
    };
    std::string start = R"({"targets": [{"smsVoiceRegistration": {"registrationId": "reg-9"}}]})";
    std::string start_dry =
        R"({"validateOnly": true, "targets": [{"smsVoiceRegistration": {"registrationId": "reg-9"}}]})";
    std::string id = "3f2a8c0e-5b7d-4e1f-9a6c-2d4b8e0f1a3c";
    auto named = [](std::string const& name) { return absl::StrCat(R"({"name": ")", name, R"("})"); };
    using C = grpc::StatusCode;
    return {
        {"/linkgateway.v1.RegistrationService/DeleteRegistration",
         {{"allowed", kOpsToken, sms("reg-seeded"), C::OK},
          {"denied", kReaderToken, sms("reg-1"), C::PERMISSION_DENIED},
          {"unauthenticated", "", sms("reg-1"), C::UNAUTHENTICATED},
          {"invalid", kOpsToken, sms("not valid!"), C::INVALID_ARGUMENT},
          {"dry run", kOpsToken, sms("reg-1", true), C::OK},
          {"failed", kOpsToken, sms("reg-unknown"), C::NOT_FOUND}}},
        {"/linkgateway.v1.SubscriptionService/DeleteSubscription",
         {{"allowed", kOpsToken, sp("sub-seeded"), C::OK},
          {"denied", kReaderToken, sp("sub-1"), C::PERMISSION_DENIED},
          {"unauthenticated", "", sp("sub-1"), C::UNAUTHENTICATED},
          {"invalid", kOpsToken, sp(""), C::INVALID_ARGUMENT},
          {"dry run", kOpsToken, sp("sub-1", true), C::OK},
          {"failed", kOpsToken, sp("sub-unknown"), C::NOT_FOUND}}},
        {"/linkgateway.v1.AppProfileService/DeleteAppProfile",
         {{"allowed", kOpsToken, imi("cust-seeded"), C::OK},
          {"denied", kReaderToken, imi("cust-1"), C::PERMISSION_DENIED},
          {"unauthenticated", "", imi("cust-1"), C::UNAUTHENTICATED},
          {"invalid", kOpsToken, imi(""), C::INVALID_ARGUMENT},
          {"dry run", kOpsToken, imi("cust-1", true), C::OK},
          {"failed", kOpsToken, imi("cust-unknown"), C::OK, /*any_error=*/true}}},
        {"/linkgateway.v1.UnlinkService/StartUnlink",
         {{"allowed", kOpsToken,
           absl::StrCat(R"({"requestId": ")", id, R"(", "targets": [{"smsVoiceRegistration": )",
                        R"({"registrationId": "reg-8"}}]})"),
           C::OK},
          {"denied", kReaderToken, start, C::PERMISSION_DENIED},
          {"unauthenticated", "", start, C::UNAUTHENTICATED},
          {"invalid", kOpsToken, R"({"targets": []})", C::INVALID_ARGUMENT},
          {"dry run", kOpsToken, start_dry, C::OK},
          // The same request_id with other targets: refused by the job store.
          {"failed", kOpsToken,
           absl::StrCat(R"({"requestId": ")", id, R"(", "targets": [{"smsVoiceRegistration": )",
                        R"({"registrationId": "reg-7"}}]})"),
           C::INVALID_ARGUMENT}}},
        {"/google.longrunning.Operations/CancelOperation",
         {{"allowed", kOpsToken, named(job), C::OK},
          {"denied", kReaderToken, named(job), C::PERMISSION_DENIED},
          {"unauthenticated", "", named(job), C::UNAUTHENTICATED},
          {"invalid", kOpsToken, "{}", C::INVALID_ARGUMENT},
          {"failed", kOpsToken, named("operations/unlink/no-such-job"), C::NOT_FOUND}}},
        {"/google.longrunning.Operations/DeleteOperation",
         {{"denied", kReaderToken, named(job), C::PERMISSION_DENIED},
          {"unauthenticated", "", named(job), C::UNAUTHENTICATED},
          {"invalid", kOpsToken, "{}", C::INVALID_ARGUMENT},
          // Jobs are never deleted: the refusal is the method's only answer.
          {"failed", kOpsToken, named(job), C::UNIMPLEMENTED}}},
    };
  }

  std::unique_ptr<tests::testing::EmulatedGateway> env_;
  std::string audit_;
};

TEST_F(AuditEveryOutcomeTest, EveryAuditedMethodRecordsEveryOutcomeOnceBeforeItsAnswer) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId": "reg-seeded"})")
                  .ok());
  ASSERT_TRUE(env_->Control("subscriptions",
                            R"({"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"sub-seeded"})")
                  .ok());
  ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "profiles",
                            R"({"appId":"app-1","customerId":"cust-seeded","deviceId":"dev-1"})")
                  .ok());
  AuditedMethods methods;
  std::string job = StartJob(methods);
  ASSERT_FALSE(job.empty());
  auto cases = Cases(job);
  std::vector<std::string> audited;
  for (auto const* method : methods.All()) {
    audited.push_back(method->path());
    auto listed = cases.find(method->path());
    ASSERT_NE(listed, cases.end()) << method->path()
                                   << " is audited: list its outcomes in this test";
    bool dry_run = method->request_prototype().GetDescriptor()->FindFieldByName(
                       "validate_only") != nullptr;
    std::vector<std::string> outcomes;
    for (Case const& c : listed->second) {
      SCOPED_TRACE(absl::StrCat(method->path(), " ", c.outcome));
      outcomes.push_back(c.outcome);
      auto before = Records(method->path()).size();
      grpc::Status status = Call(*method, c.token, c.json);
      // The record is on disk when the answer arrives: read it now.
      auto after = Records(method->path());
      if (c.any_error) {
        EXPECT_FALSE(status.ok());
      } else {
        EXPECT_EQ(status.error_code(), c.code) << status.error_message();
      }
      ASSERT_EQ(after.size(), before + 1) << "exactly one record of this call";
      auto const& record = after.back();
      EXPECT_EQ(record.outcome().code(),
                absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
      EXPECT_EQ(record.validate_only(), c.outcome == "dry run");
    }
    std::vector<std::string> expected = {"denied", "unauthenticated", "invalid", "failed"};
    if (method->path() != "/google.longrunning.Operations/DeleteOperation") {
      expected.insert(expected.begin(), "allowed");  // the one method that never succeeds
    }
    if (dry_run) expected.insert(expected.end() - 1, "dry run");
    EXPECT_THAT(outcomes, ::testing::UnorderedElementsAreArray(expected)) << method->path();
  }
  EXPECT_THAT(audited, ::testing::UnorderedElementsAre(
                           "/linkgateway.v1.RegistrationService/DeleteRegistration",
                           "/linkgateway.v1.SubscriptionService/DeleteSubscription",
                           "/linkgateway.v1.AppProfileService/DeleteAppProfile",
                           "/linkgateway.v1.UnlinkService/StartUnlink",
                           "/google.longrunning.Operations/CancelOperation",
                           "/google.longrunning.Operations/DeleteOperation"));
}

}  // namespace
}  // namespace linkgateway::tests::integration
