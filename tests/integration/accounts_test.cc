// Named provider accounts through the real gateway binary (docs/accounts.md):
// two IMIconnect tenants, each its own HTTPS emulator with its own profile
// key; an authorization policy that confines a caller to one tenant, applied
// to each target of an unlink job as the delete it stands for.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "server/security/token_file.h"
#include "tests/testing/child_process.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/rpc_status.h"
#include "tests/testing/wait_operation.h"

namespace linkgateway::tests::integration {
namespace {

using ::google::longrunning::Operation;
using ::testing::HasSubstr;
using tests::testing::Emulator;

constexpr char kApp[] = "a_635736738702976937";
constexpr char kOpsToken[] = "ops-token-5b0c7e2d9a14";
constexpr char kTeamBToken[] = "b-team-token-3f8e21c6d07a";
// Tenant "b"'s own profile key (the default tenant's is kImiconnectKey).
constexpr char kTenantBKey[] = "imiconnect-tenant-b-profile-key";
constexpr char kStartUnlink[] = "/linkgateway.v1.UnlinkService/StartUnlink";

// Ops may do everything; b-team may use the unlink job methods, and delete
// only in IMIconnect tenant "b".
constexpr char kPolicy[] = R"({
  "name": "accounts-test",
  "allow_rules": [
    {"name": "ops-everywhere", "source": {"principals": ["token:ops"]}},
    {"name": "b-team-jobs", "source": {"principals": ["token:b-team"]},
     "request": {"paths": ["/linkgateway.v1.UnlinkService/*",
                           "/google.longrunning.Operations/*"]}},
    {"name": "b-team-in-b", "source": {"principals": ["token:b-team"]},
     "request": {"accounts": ["imiconnect/b"]}}
  ]
})";

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

class AccountsTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void SetUp() override {
    static int counter = 0;
    std::string const case_dir = absl::StrCat(Dir(), "/accounts-", ++counter);
    ASSERT_EQ(::mkdir(case_dir.c_str(), 0700), 0);
    // Tenant "b": a second IMIconnect emulator (its own host and key, as
    // each tenant's region has), with the shared emulators' certificates.
    auto certs = tests::testing::EmulatorCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    auto tenant_b = tests::testing::StartEmulator(
        "imiconnect_emulator.py",
        {"--cert", certs->server_cert, "--key", certs->server_key, "--profile-key", kTenantBKey});
    ASSERT_TRUE(tenant_b.ok()) << tenant_b.status();
    tenant_b_ = *std::move(tenant_b);

    std::string const key_file = case_dir + "/tenant-b-key";
    std::ofstream(key_file) << kTenantBKey << "\n";
    std::string const tokens = case_dir + "/tokens.txt";
    std::ofstream(tokens) << server::security::HashTokenLine("ops", kOpsToken) << "\n"
                          << server::security::HashTokenLine("b-team", kTeamBToken) << "\n";
    std::string const policy = case_dir + "/policy.json";
    std::ofstream(policy) << kPolicy;
    audit_ = case_dir + "/audit.jsonl";
    std::string const state = case_dir + "/unlink";
    ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);

    tests::testing::EmulatedGatewayOptions options;
    options.imiconnect_config =
        absl::StrCat("  tenants {\n    name: \"b\"\n    base_url: \"https://", tenant_b_->address(),
                     "\"\n    profile_key { file: \"", key_file, "\" }\n  }\n");
    options.security_config =
        absl::StrCat("plaintext: true\nauthentication { token_file: \"", tokens, "\" }\n",
                     "policy_file: \"", policy, "\"\n", "audit { path: \"", audit_, "\" }");
    options.extra_config = absl::StrCat(
        "unlink {\n  state_directory: \"", state,
        "\"\n  replica_id: \"replica-a\"\n  follow_interval { nanos: 100000000 }\n}\n");
    StartWith(options);
  }

  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    profiles_ = v1::AppProfileService::NewStub(channel);
    unlink_ = v1::UnlinkService::NewStub(channel);
    operations_ = google::longrunning::Operations::NewStub(channel);
  }

  static std::unique_ptr<grpc::ClientContext> Context(std::string const& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  }

  // A profile seeded at the default tenant ("") or at tenant "b".
  void Seed(std::string const& tenant, std::string const& customer) {
    std::string const json = absl::StrCat(R"({"appId":")", kApp, R"(","customerId":")", customer,
                                          R"(","deviceId":"d-)", customer, R"("})");
    if (tenant.empty()) {
      ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "profiles", json).ok());
    } else {
      ASSERT_TRUE(tests::testing::ControlEmulator(*tenant_b_, "profiles", json).ok());
    }
  }

  static v1::ImiconnectAppProfileKey Key(std::string const& customer,
                                         std::string const& account = "") {
    v1::ImiconnectAppProfileKey key;
    key.set_app_id(kApp);
    key.set_customer_id(customer);
    key.set_device_id(absl::StrCat("d-", customer));
    key.set_account(account);
    return key;
  }

  static v1::UnlinkTarget Target(std::string const& customer, std::string const& account = "") {
    v1::UnlinkTarget target;
    *target.mutable_imiconnect_app_profile() = Key(customer, account);
    return target;
  }

  grpc::Status Start(std::string const& token, std::vector<v1::UnlinkTarget> const& targets,
                     Operation* op) {
    v1::StartUnlinkRequest request;
    for (auto const& t : targets) *request.add_targets() = t;
    return unlink_->StartUnlink(Context(token).get(), request, op);
  }

  // Waits (WaitOperation, bounded) until the operation is done.
  Operation WaitDone(std::string const& token, std::string const& name) {
    return tests::testing::WaitDone(*operations_, name, [&token] { return Context(token); });
  }

  static v1::UnlinkMetadata MetadataOf(Operation const& op) {
    v1::UnlinkMetadata metadata;
    EXPECT_TRUE(op.metadata().UnpackTo(&metadata));
    return metadata;
  }

  // The requests a tenant's emulator received under /resources/ (deletes
  // and status reads): "" the default tenant, "b" tenant b.
  std::vector<google::protobuf::Struct> Received(std::string const& tenant) {
    if (tenant.empty()) return env_->Received(Emulator::kImiconnect, "/resources/");
    std::vector<google::protobuf::Struct> found;
    auto all = tests::testing::ControlEmulator(*tenant_b_, "requests");
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return found;
    for (auto const& item : all->fields().at("items").list_value().values()) {
      if (absl::StartsWith(item.struct_value().fields().at("path").string_value(), "/resources/")) {
        found.push_back(item.struct_value());
      }
    }
    return found;
  }

  // The DELETEs of `customer`'s profile a tenant received, each with the
  // profile key it carried.
  std::vector<std::string> DeleteKeys(std::string const& tenant, std::string const& customer) {
    std::vector<std::string> keys;
    for (auto const& r : Received(tenant)) {
      auto const& f = r.fields();
      if (f.at("method").string_value() != "DELETE") continue;
      if (!absl::StrContains(f.at("path").string_value(), absl::StrCat("/", customer, "/"))) {
        continue;
      }
      auto const& headers = f.at("headers").struct_value().fields();
      auto key = headers.find("key");
      keys.push_back(key == headers.end() ? "" : key->second.string_value());
    }
    return keys;
  }

  std::vector<audit::v1::AuditRecord> AuditRecords() {
    std::ifstream in(audit_);
    std::vector<audit::v1::AuditRecord> records;
    for (std::string line; std::getline(in, line);) {
      audit::v1::AuditRecord record;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok()) << line;
      if (!record.method().empty()) records.push_back(record);
    }
    return records;
  }

  // The jobs `token`'s caller can see.
  int JobsOf(std::string const& token) {
    google::longrunning::ListOperationsRequest list;
    google::longrunning::ListOperationsResponse listed;
    grpc::Status status = operations_->ListOperations(Context(token).get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return listed.operations_size();
  }

  std::unique_ptr<tests::testing::ChildProcess> tenant_b_;
  std::string audit_;
  std::unique_ptr<v1::AppProfileService::Stub> profiles_;
  std::unique_ptr<v1::UnlinkService::Stub> unlink_;
  std::unique_ptr<google::longrunning::Operations::Stub> operations_;
};

TEST_F(AccountsTest, AJobWithinTheGrantedTenantRunsAndItsDeleteReachesOnlyThatTenant) {
  Seed("b", "c-granted");
  Seed("", "c-granted");  // the same profile at the default tenant: untouched
  Operation op;
  grpc::Status started = Start(kTeamBToken, {Target("c-granted", "b")}, &op);
  ASSERT_TRUE(started.ok()) << started.error_message();
  Operation done = WaitDone(kTeamBToken, op.name());
  ASSERT_TRUE(done.done()) << done.DebugString();
  EXPECT_FALSE(done.has_error()) << done.error().message();
  auto metadata = MetadataOf(done);
  ASSERT_EQ(metadata.steps_size(), 1);
  EXPECT_EQ(metadata.steps(0).state(), v1::UNLINK_STEP_STATE_SUCCEEDED);
  EXPECT_EQ(metadata.steps(0).target().imiconnect_app_profile().account(), "b");
  // Followed to its end at the tenant that queued it: only b knows the
  // transaction.
  EXPECT_EQ(metadata.steps(0).imiconnect_transaction_state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);

  EXPECT_THAT(DeleteKeys("b", "c-granted"), ::testing::ElementsAre(kTenantBKey));
  EXPECT_TRUE(Received("").empty()) << "the default tenant was called";

  // The step's record names the tenant.
  int steps = 0;
  for (auto const& r : AuditRecords()) {
    if (r.unlink_operation() != op.name() || r.method() == kStartUnlink) continue;
    ++steps;
    EXPECT_EQ(r.account(), "b");
    EXPECT_EQ(r.provider(), "imiconnect");
  }
  EXPECT_GE(steps, 1);
}

TEST_F(AccountsTest, AJobForATenantNotGrantedIsRefusedAuditedAndSendsNothing) {
  Seed("", "c-default");
  // No account: the default tenant, which b-team is not granted; naming it
  // changes nothing.
  for (std::string account : {"", "default"}) {
    SCOPED_TRACE(account);
    Operation op;
    grpc::Status refused = Start(kTeamBToken, {Target("c-default", account)}, &op);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
    EXPECT_THAT(refused.error_message(), HasSubstr("targets[0]"));
    EXPECT_THAT(refused.error_message(), HasSubstr("for provider imiconnect in account default"));
    EXPECT_THAT(tests::testing::ErrorInfoOf(refused).metadata(),
                ::testing::Contains(::testing::Pair("account", "default")));
  }
  EXPECT_TRUE(Received("").empty());
  EXPECT_TRUE(Received("b").empty());
  EXPECT_EQ(JobsOf(kTeamBToken), 0);

  // Each refusal is in the audit trail, with the caller.
  int refusals = 0;
  for (auto const& r : AuditRecords()) {
    if (r.method() != kStartUnlink) continue;
    ++refusals;
    EXPECT_EQ(r.caller().principal(), "token:b-team");
    EXPECT_EQ(r.outcome().code(), "PERMISSION_DENIED");
    EXPECT_TRUE(r.unlink_operation().empty());
  }
  EXPECT_EQ(refusals, 2);

  // The profile is still there: ops may delete it.
  Operation op;
  ASSERT_TRUE(Start(kOpsToken, {Target("c-default")}, &op).ok());
  Operation done = WaitDone(kOpsToken, op.name());
  EXPECT_FALSE(done.has_error()) << done.error().message();
  EXPECT_EQ(MetadataOf(done).steps(0).target().imiconnect_app_profile().account(), "default");
  EXPECT_THAT(DeleteKeys("", "c-default"), ::testing::ElementsAre(tests::testing::kImiconnectKey));
}

TEST_F(AccountsTest, AJobMixingAGrantedAndANotGrantedTenantIsRefusedAsAWhole) {
  Seed("b", "c-mixed-b");
  Seed("", "c-mixed-default");
  for (bool granted_first : {true, false}) {
    SCOPED_TRACE(granted_first);
    std::vector<v1::UnlinkTarget> targets = {Target("c-mixed-b", "b"), Target("c-mixed-default")};
    if (!granted_first) std::swap(targets[0], targets[1]);
    Operation op;
    grpc::Status refused = Start(kTeamBToken, targets, &op);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
    // The target refused is named.
    EXPECT_THAT(refused.error_message(),
                HasSubstr(absl::StrCat("targets[", granted_first ? 1 : 0, "]")));
    EXPECT_THAT(refused.error_message(), HasSubstr("in account default"));
  }
  // Not even the granted target's delete was sent, and no job exists.
  EXPECT_TRUE(Received("b").empty());
  EXPECT_TRUE(Received("").empty());
  EXPECT_EQ(JobsOf(kTeamBToken), 0);

  // The same job from ops runs, each delete at its own tenant with its key.
  Operation op;
  ASSERT_TRUE(Start(kOpsToken, {Target("c-mixed-b", "b"), Target("c-mixed-default")}, &op).ok());
  Operation done = WaitDone(kOpsToken, op.name());
  ASSERT_TRUE(done.done());
  EXPECT_FALSE(done.has_error()) << done.error().message();
  EXPECT_THAT(DeleteKeys("b", "c-mixed-b"), ::testing::ElementsAre(kTenantBKey));
  EXPECT_THAT(DeleteKeys("", "c-mixed-default"),
              ::testing::ElementsAre(tests::testing::kImiconnectKey));
  EXPECT_TRUE(DeleteKeys("b", "c-mixed-default").empty());
  EXPECT_TRUE(DeleteKeys("", "c-mixed-b").empty());
}

class TenantsTest : public AccountsTest {
 protected:
  grpc::Status Delete(std::string const& token, v1::ImiconnectAppProfileKey const& key,
                      v1::DeleteAppProfileResponse* response) {
    v1::DeleteAppProfileRequest request;
    *request.mutable_imiconnect() = key;
    return profiles_->DeleteAppProfile(Context(token).get(), request, response);
  }

  // Polls (bounded) the transaction at `account` until it is no longer
  // pending; returns what was last read.
  v1::ImiconnectTransactionStatus Final(std::string const& transaction_id,
                                        std::string const& account) {
    v1::GetProfileTransactionRequest request;
    request.mutable_imiconnect()->set_transaction_id(transaction_id);
    request.mutable_imiconnect()->set_account(account);
    v1::ProfileTransaction transaction;
    absl::Time const give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      grpc::Status status =
          profiles_->GetProfileTransaction(Context(kOpsToken).get(), request, &transaction);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok() ||
          transaction.imiconnect().state() != v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return transaction.imiconnect();
  }
};

TEST_F(TenantsTest, EachDeleteGoesToItsTenantWithThatTenantsKey) {
  Seed("b", "c-both");
  Seed("", "c-both");

  // Tenant b: b's host, b's key; the default tenant hears nothing.
  v1::DeleteAppProfileResponse at_b;
  grpc::Status status = Delete(kOpsToken, Key("c-both", "b"), &at_b);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(DeleteKeys("b", "c-both"), ::testing::ElementsAre(kTenantBKey));
  EXPECT_TRUE(Received("").empty());
  // Its transaction is followed at b; the default tenant does not know it.
  EXPECT_EQ(Final(at_b.imiconnect().transaction_id(), "b").state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  v1::GetProfileTransactionRequest elsewhere;
  elsewhere.mutable_imiconnect()->set_transaction_id(at_b.imiconnect().transaction_id());
  v1::ProfileTransaction unknown;
  ASSERT_TRUE(profiles_->GetProfileTransaction(Context(kOpsToken).get(), elsewhere, &unknown).ok());
  EXPECT_EQ(unknown.imiconnect().state(), v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
  EXPECT_EQ(unknown.imiconnect().code(), "7600");

  // No account: the default tenant, with its own key; b hears no more.
  int const b_requests = static_cast<int>(Received("b").size());
  v1::DeleteAppProfileResponse at_default;
  status = Delete(kOpsToken, Key("c-both"), &at_default);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(DeleteKeys("", "c-both"), ::testing::ElementsAre(tests::testing::kImiconnectKey));
  EXPECT_EQ(Final(at_default.imiconnect().transaction_id(), "").state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  EXPECT_EQ(static_cast<int>(Received("b").size()), b_requests);

  // The audit trail names each delete's tenant, the default resolved.
  std::vector<std::string> accounts;
  for (auto const& r : AuditRecords()) {
    if (absl::EndsWith(r.method(), "/DeleteAppProfile")) accounts.push_back(r.account());
  }
  EXPECT_THAT(accounts, ::testing::ElementsAre("b", "default"));
}

TEST_F(TenantsTest, AnUnknownOrMalformedTenantIsInvalidArgumentNamingTheFieldAndSendsNothing) {
  Seed("b", "c-x");
  Seed("", "c-x");
  struct Case {
    std::string account;
    std::string rule;
  };
  for (Case const& c : {Case{"c", "no account named \"c\" is configured for imiconnect"},
                        Case{"B!", ""}, Case{std::string(64, 'a'), ""}}) {
    SCOPED_TRACE(c.account);
    v1::DeleteAppProfileResponse response;
    grpc::Status refused = Delete(kOpsToken, Key("c-x", c.account), &response);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
    google::rpc::BadRequest bad;
    ASSERT_TRUE(tests::testing::FindDetail(refused, bad)) << refused.error_message();
    ASSERT_EQ(bad.field_violations_size(), 1);
    EXPECT_EQ(bad.field_violations(0).field(), "imiconnect.account");
    EXPECT_THAT(bad.field_violations(0).description(), HasSubstr(c.rule));

    // The same in an unlink job: refused before any job exists.
    Operation op;
    refused = Start(kOpsToken, {Target("c-x", c.account)}, &op);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
    EXPECT_THAT(refused.error_message(), HasSubstr("targets[0]"));
    ASSERT_TRUE(tests::testing::FindDetail(refused, bad)) << refused.error_message();
    ASSERT_EQ(bad.field_violations_size(), 1);
    EXPECT_EQ(bad.field_violations(0).field(), "targets[0].imiconnect_app_profile.account");
  }
  EXPECT_TRUE(Received("b").empty());
  EXPECT_TRUE(Received("").empty());
  EXPECT_EQ(JobsOf(kOpsToken), 0);
}

TEST_F(TenantsTest, ACallerGrantedOneTenantDeletesThereOnly) {
  Seed("b", "c-team");
  Seed("", "c-team");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete(kTeamBToken, Key("c-team", "b"), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (std::string account : {"", "default"}) {
    status = Delete(kTeamBToken, Key("c-team", account), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << account;
    EXPECT_THAT(status.error_message(), HasSubstr("in account default"));
  }
  EXPECT_THAT(DeleteKeys("b", "c-team"), ::testing::ElementsAre(kTenantBKey));
  EXPECT_TRUE(Received("").empty());
}

// Two Login with Amazon applications: the default one and "b", each its
// own client at the LWA emulator.
constexpr char kAppBClientId[] = "amzn1.application-oa2-client.linkgatewaytestb";
constexpr char kAppBClientSecret[] = "lwa-test-client-secret-of-b";

class ApplicationsTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void SetUp() override {
    static int counter = 0;
    std::string const prefix = absl::StrCat(Dir(), "/lwa-b-", ++counter);
    std::ofstream(prefix + ".id") << kAppBClientId << "\n";
    std::ofstream(prefix + ".secret") << kAppBClientSecret << "\n";
    tests::testing::EmulatedGatewayOptions options;
    options.amazon_args = {"--lwa-client", absl::StrCat(kAppBClientId, ":", kAppBClientSecret)};
    options.login_with_amazon_config =
        absl::StrCat("  applications {\n    name: \"b\"\n    client_id { file: \"", prefix,
                     ".id\" }\n    client_secret { file: \"", prefix, ".secret\" }\n  }\n");
    StartWith(options);
    subscriptions_ = v1::SubscriptionService::NewStub(env_->channel());
  }

  grpc::Status Delete(std::string const& id, std::string const& account) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::DeleteSubscriptionRequest request;
    request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
    request.mutable_selling_partner()->set_subscription_id(id);
    request.mutable_selling_partner()->set_account(account);
    v1::DeleteSubscriptionResponse response;
    return subscriptions_->DeleteSubscription(&context, request, &response);
  }

  // The LWA clients whose tokens authorized the DELETEs of `id`.
  std::vector<std::string> DeleteClients(std::string const& id) {
    std::vector<std::string> clients;
    for (auto const& r : env_->Received(Emulator::kAmazon, "/notifications/")) {
      auto const& f = r.fields();
      if (f.at("method").string_value() != "DELETE" ||
          !absl::EndsWith(f.at("path").string_value(), absl::StrCat("/", id))) {
        continue;
      }
      auto const& headers = f.at("headers").struct_value().fields();
      auto token = headers.find("x-amz-access-token");
      std::string const value = token == headers.end() ? "" : token->second.string_value();
      auto owner = env_->Control("token-client", absl::StrCat(R"({"token":")", value, R"("})"));
      EXPECT_TRUE(owner.ok()) << owner.status();
      clients.push_back(owner.ok() ? owner->fields().at("clientId").string_value() : "");
    }
    return clients;
  }

  std::unique_ptr<v1::SubscriptionService::Stub> subscriptions_;
};

TEST_F(ApplicationsTest, EachDeleteIsAuthorizedByItsApplicationsToken) {
  for (char const* id : {"sub-app-b", "sub-app-default"}) {
    ASSERT_TRUE(
        env_->Control("subscriptions", absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                                    R"("subscriptionId":")", id, R"("})"))
            .ok());
  }
  grpc::Status status = Delete("sub-app-b", "b");
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = Delete("sub-app-default", "");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(DeleteClients("sub-app-b"), ::testing::ElementsAre(kAppBClientId));
  EXPECT_THAT(DeleteClients("sub-app-default"),
              ::testing::ElementsAre(tests::testing::kLwaClientId));

  // An application not configured: refused naming the field, nothing sent.
  int const before = static_cast<int>(env_->Received(Emulator::kAmazon, "/notifications/").size());
  grpc::Status refused = Delete("sub-app-b", "c");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  google::rpc::BadRequest bad;
  ASSERT_TRUE(tests::testing::FindDetail(refused, bad)) << refused.error_message();
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "selling_partner.account");
  EXPECT_EQ(static_cast<int>(env_->Received(Emulator::kAmazon, "/notifications/").size()), before);
}

}  // namespace
}  // namespace linkgateway::tests::integration
