// Who may delete what, end to end: the real gateway with TLS, mTLS, bearer
// tokens, an authorization policy and the audit trail, against the
// emulators, on loopback.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "server/security/token_file.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/rpc_status.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;

constexpr char kOpsToken[] = "ops-token-2f1d9c0b6a7e4d3c";
constexpr char kBillingToken[] = "billing-token-8e7d6c5b4a39";
constexpr char kBillingSpiffe[] = "spiffe://example.org/ns/billing/sa/billing";
constexpr char kDeleteRegistration[] = "/linkgateway.v1.RegistrationService/DeleteRegistration";

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

std::string ReadFile(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Ops may do everything; billing (by certificate or token) may only read
// Dash Replenishment subscription info.
constexpr char kPolicy[] = R"({
  "name": "linkgateway-test",
  "allow_rules": [
    {"name": "ops-everything", "source": {"principals": ["token:ops"]}},
    {"name": "billing-reads-drs",
     "source": {"principals": ["spiffe://example.org/ns/billing/*", "token:billing"]},
     "request": {"paths": ["/linkgateway.v1.SubscriptionService/GetSubscriptionInfo"],
                 "providers": ["dash_replenishment"]}}
  ]
})";

class SecurityTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void SetUp() override { StartSecure(); }

  // TLS (client certificates verified when sent), certificates and tokens
  // both accepted, the policy above, the audit trail in a file.
  void StartSecure(std::string const& audit_path = "", std::string const& policy = kPolicy) {
    tokens_ = Dir() + "/tokens.txt";
    std::ofstream(tokens_) << server::security::HashTokenLine("ops", kOpsToken) << "\n"
                           << server::security::HashTokenLine("billing", kBillingToken) << "\n";
    policy_ = Dir() + "/policy.json";
    std::ofstream(policy_) << policy;
    audit_ = audit_path.empty() ? Dir() + "/security-audit.jsonl" : audit_path;
    std::remove(audit_.c_str());
    // The gateway's own certificate files, so a test can rotate them.
    cert_ = Dir() + "/gateway.pem";
    key_ = Dir() + "/gateway.key";
    StartWith(Options());
  }

  tests::testing::EmulatedGatewayOptions Options() {
    // The emulators' CA exists once they run: start plaintext first if not.
    if (env_ == nullptr) {
      tests::testing::EmulatedGatewayOptions bootstrap;
      auto env = tests::testing::EmulatedGateway::Start(bootstrap);
      EXPECT_TRUE(env.ok()) << env.status();
      env_ = *std::move(env);
    }
    auto const& certs = env_->certs();
    std::ifstream src_cert(certs.server_cert), src_key(certs.server_key);
    std::ofstream(cert_) << src_cert.rdbuf();
    std::ofstream(key_) << src_key.rdbuf();
    tests::testing::EmulatedGatewayOptions options;
    options.security_config = absl::StrCat(
        "tls { cert_file: \"", cert_, "\" key_file: \"", key_, "\" client_ca_file: \"",
        certs.ca_cert, "\" refresh_interval { seconds: 1 } }\n",
        "authentication { mtls: true token_file: \"", tokens_, "\" }\n",
        "policy_file: \"", policy_, "\"\n",
        "audit { path: \"", audit_, "\" }");
    return options;
  }

  std::shared_ptr<grpc::Channel> Channel(std::string const& ca, std::string const& cert = "",
                                         std::string const& key = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(ca);
    if (!cert.empty()) {
      ssl.pem_cert_chain = ReadFile(cert);
      ssl.pem_private_key = ReadFile(key);
    }
    return grpc::CreateChannel(env_->address(), grpc::SslCredentials(ssl));
  }

  std::shared_ptr<grpc::Channel> Tls() { return Channel(env_->certs().ca_cert); }

  grpc::Status DeleteSms(std::shared_ptr<grpc::Channel> const& channel, std::string const& token,
                         std::string const& id, bool validate_only = false,
                         std::vector<std::pair<std::string, std::string>> metadata = {}) {
    auto stub = v1::RegistrationService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    for (auto const& [k, v] : metadata) context.AddMetadata(k, v);
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id(id);
    request.set_validate_only(validate_only);
    v1::DeleteRegistrationResponse response;
    grpc::Status status = stub->DeleteRegistration(&context, request, &response);
    Remember(status);
    if (status.ok()) {
      EXPECT_EQ(response.validate_only(), validate_only);
    }
    return status;
  }

  void Remember(grpc::Status const& status) {
    everything_said_ += status.error_message() + status.error_details();
  }

  std::vector<linkgateway::audit::v1::AuditRecord> AuditRecords() {
    std::vector<linkgateway::audit::v1::AuditRecord> records;
    std::istringstream lines(ReadFile(audit_));
    std::string line;
    while (std::getline(lines, line)) {
      linkgateway::audit::v1::AuditRecord record;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok()) << line;
      records.push_back(record);
    }
    return records;
  }

  int Requests(Emulator emulator) {
    return static_cast<int>(env_->Received(emulator, "/").size());
  }

  void ExpectNoSecretAnywhere() {
    auto metrics = env_->Metrics();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    std::string access_log = ReadFile(env_->access_log_path());
    EXPECT_FALSE(access_log.empty()) << "every call leaves an access-log line";
    std::string all = everything_said_ + env_->gateway().Output() + ReadFile(audit_) +
                      access_log + metrics.value_or("");
    for (std::string secret :
         {kOpsToken, kBillingToken, tests::testing::kLwaClientSecret, tests::testing::kAwsSecret,
          tests::testing::kAwsSessionToken, tests::testing::kImiconnectKey}) {
      EXPECT_THAT(all, Not(HasSubstr(secret))) << "a secret leaked";
    }
  }

  std::string tokens_, policy_, audit_, cert_, key_;
  std::string everything_said_;
};

TEST_F(SecurityTest, NoCredentialOrAWrongTokenIsUnauthenticatedAndSendsNothing) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"reg-1"})").ok());
  for (std::string token : {"", "obviously-not-a-valid-credential"}) {
    grpc::Status status = DeleteSms(Tls(), token, "reg-1");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << token;
    EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UNAUTHENTICATED");
  }
  // Validation comes after authentication: a malformed id says nothing.
  EXPECT_EQ(DeleteSms(Tls(), "", "malformed id!").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Requests(Emulator::kSmsVoice), 0);
  // Health is not public in this configuration.
  auto health = grpc::health::v1::Health::NewStub(Tls());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Neither is reflection, in either version.
  {
    auto stub = grpc::reflection::v1::ServerReflection::NewStub(Tls());
    grpc::ClientContext reflect_context;
    reflect_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    auto stream = stub->ServerReflectionInfo(&reflect_context);
    grpc::reflection::v1::ServerReflectionRequest list;
    list.set_list_services("*");
    stream->Write(list);
    stream->WritesDone();
    grpc::reflection::v1::ServerReflectionResponse ignored;
    EXPECT_FALSE(stream->Read(&ignored));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].outcome().code(), "UNAUTHENTICATED");
  EXPECT_EQ(records[0].caller().principal(), "");
  ExpectNoSecretAnywhere();
}

TEST_F(SecurityTest, ClientCertificatesFromAnotherCaOrExpiredCannotConnect) {
  auto other_ca = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(other_ca.ok());
  auto foreign = tests::testing::MakeCertificate(*other_ca, "foreign", "/CN=ops",
                                                 std::string("URI:") + kBillingSpiffe);
  auto expired = tests::testing::MakeCertificate(env_->certs(), "expired", "/CN=ops",
                                                 std::string("URI:") + kBillingSpiffe,
                                                 /*expired=*/true);
  ASSERT_TRUE(foreign.ok() && expired.ok());
  for (auto const* cert : {&*foreign, &*expired}) {
    grpc::Status status =
        DeleteSms(Channel(env_->certs().ca_cert, cert->cert, cert->key), "", "reg-1");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  EXPECT_EQ(Requests(Emulator::kSmsVoice), 0);
}

TEST_F(SecurityTest, ACallerAllowedToReadButNotToDeleteIsDeniedBeforeAnythingIsSent) {
  auto billing = tests::testing::MakeCertificate(
      env_->certs(), "billing", "/CN=billing-service",
      absl::StrCat("URI:", kBillingSpiffe, ",DNS:billing.example.org"));
  ASSERT_TRUE(billing.ok());
  auto channel = Channel(env_->certs().ca_cert, billing->cert, billing->key);
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"reg-1"})").ok());
  grpc::Status status = DeleteSms(channel, "", "reg-1");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(kBillingSpiffe));
  EXPECT_THAT(status.error_message(), HasSubstr(kDeleteRegistration));
  EXPECT_THAT(status.error_message(), HasSubstr("sms_voice"));
  EXPECT_EQ(Requests(Emulator::kSmsVoice), 0);

  // The same caller may read Dash Replenishment subscription info.
  auto created = env_->Control("devices", R"({"model":"m","device":"d","slots":{}})");
  ASSERT_TRUE(created.ok());
  auto subscriptions = v1::SubscriptionService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetSubscriptionInfoRequest request;
  request.mutable_dash_replenishment()->set_access_token(
      created->fields().at("accessToken").string_value());
  v1::SubscriptionInfo info;
  grpc::Status read = subscriptions->GetSubscriptionInfo(&context, request, &info);
  EXPECT_TRUE(read.ok()) << read.error_message();

  auto records = AuditRecords();  // reads are not destructive: one record
  ASSERT_EQ(records.size(), 1u);
  auto const& denied = records[0];
  EXPECT_EQ(denied.outcome().code(), "PERMISSION_DENIED");
  EXPECT_EQ(denied.outcome().reason(), "PERMISSION_DENIED");
  EXPECT_EQ(denied.outcome().policy_rule(), "");
  EXPECT_EQ(denied.caller().principal(), kBillingSpiffe);
  EXPECT_EQ(denied.caller().authenticated_by(),
            linkgateway::audit::v1::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID);
  EXPECT_EQ(denied.upstream().attempts(), 0);
  ExpectNoSecretAnywhere();
}

TEST_F(SecurityTest, AnAllowedDeleteIsAuditedWithEveryField) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"reg-7"})").ok());
  grpc::Status status =
      DeleteSms(Tls(), kOpsToken, "reg-7", false,
                {{"x-request-id", "caller-req-1"},
                 {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 1u);
  auto const& r = records[0];
  EXPECT_EQ(r.caller().principal(), "token:ops");
  EXPECT_EQ(r.caller().authenticated_by(),
            linkgateway::audit::v1::AUTHENTICATION_METHOD_BEARER_TOKEN);
  EXPECT_THAT(r.caller().peer(), HasSubstr("127.0.0.1"));
  EXPECT_EQ(r.method(), kDeleteRegistration);
  EXPECT_EQ(r.provider(), "sms_voice");
  EXPECT_EQ(r.target().at("registration_id"), "reg-7");
  EXPECT_FALSE(r.validate_only());
  EXPECT_EQ(r.outcome().code(), "OK");
  EXPECT_EQ(r.outcome().policy_rule(), "ops-everything");
  EXPECT_EQ(r.upstream().attempts(), 1);
  EXPECT_EQ(r.upstream().http_status(), 200);
  EXPECT_FALSE(r.upstream().request_id().empty());
  EXPECT_EQ(r.request_id(), "caller-req-1");
  EXPECT_EQ(r.trace_id(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_GT(r.latency().nanos() + r.latency().seconds(), 0);
  ExpectNoSecretAnywhere();
}

TEST_F(SecurityTest, DryRunsLeaveEveryEmulatorUntouched) {
  auto channel = Tls();
  EXPECT_TRUE(DeleteSms(channel, kOpsToken, "reg-dry", /*validate_only=*/true).ok());

  auto registrations = v1::RegistrationService::NewStub(channel);
  auto subscriptions = v1::SubscriptionService::NewStub(channel);
  auto profiles = v1::AppProfileService::NewStub(channel);
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    c->AddMetadata("authorization", absl::StrCat("Bearer ", kOpsToken));
    return c;
  };
  v1::DeleteRegistrationRequest drs;
  drs.mutable_dash_replenishment()->set_access_token("Atza|customer-token-dry-run");
  drs.set_validate_only(true);
  v1::DeleteRegistrationResponse drs_response;
  auto c1 = context();
  ASSERT_TRUE(registrations->DeleteRegistration(c1.get(), drs, &drs_response).ok());
  EXPECT_TRUE(drs_response.validate_only());

  v1::DeleteSubscriptionRequest sp;
  sp.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
  sp.mutable_selling_partner()->set_subscription_id("sub-dry");
  sp.set_validate_only(true);
  v1::DeleteSubscriptionResponse sp_response;
  auto c2 = context();
  ASSERT_TRUE(subscriptions->DeleteSubscription(c2.get(), sp, &sp_response).ok());
  EXPECT_TRUE(sp_response.validate_only());

  v1::DeleteAppProfileRequest imi;
  imi.mutable_imiconnect()->set_app_id("a_1");
  imi.mutable_imiconnect()->set_customer_id("c-1");
  imi.mutable_imiconnect()->set_device_id("d-1");
  imi.set_validate_only(true);
  v1::DeleteAppProfileResponse imi_response;
  auto c3 = context();
  ASSERT_TRUE(profiles->DeleteAppProfile(c3.get(), imi, &imi_response).ok());
  EXPECT_TRUE(imi_response.validate_only());

  // Only the LWA token prefetch at start-up ever reached an emulator.
  EXPECT_EQ(env_->Received(Emulator::kAmazon, "/registration").size(), 0u);
  EXPECT_EQ(env_->Received(Emulator::kAmazon, "/notifications").size(), 0u);
  EXPECT_EQ(Requests(Emulator::kSmsVoice), 0);
  EXPECT_EQ(Requests(Emulator::kImiconnect), 0);
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 4u);
  for (auto const& r : records) {
    EXPECT_TRUE(r.validate_only());
    EXPECT_EQ(r.outcome().code(), "OK");
    EXPECT_EQ(r.upstream().attempts(), 0);
  }
  ExpectNoSecretAnywhere();
  EXPECT_THAT(ReadFile(audit_), Not(HasSubstr("customer-token-dry-run")));
}

TEST_F(SecurityTest, AnUnwritableAuditTrailFailsClosed) {
  StartWith([&] {
    auto options = Options();
    // /dev/full refuses every write: as a full disk does.
    options.security_config = absl::StrCat(
        "tls { cert_file: \"", cert_, "\" key_file: \"", key_, "\" }\n",
        "authentication { token_file: \"", tokens_, "\" }\n",
        "audit { path: \"/dev/full\" }");
    return options;
  }());
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"reg-1"})").ok());
  grpc::Status status = DeleteSms(Tls(), kOpsToken, "reg-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(Requests(Emulator::kSmsVoice), 0);
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GE(tests::testing::MetricValue(*metrics, "linkgateway_audit_write_failures_total"), 1);
  EXPECT_EQ(tests::testing::MetricValue(*metrics, "linkgateway_audit_records_total"), 0);
}

TEST_F(SecurityTest, PolicyAndCertificateRotateWhileRunning) {
  // Billing may not delete; a new policy lets it, without a restart.
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"reg-r"})").ok());
  ASSERT_EQ(DeleteSms(Tls(), kBillingToken, "reg-r", true).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  std::ofstream(policy_) << R"({"name": "rotated", "allow_rules": [
      {"name": "billing-deletes-now", "source": {"principals": ["token:billing"]}}]})";
  grpc::Status status;
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  for (;;) {  // polled, bounded: the policy is looked at every second
    status = DeleteSms(Tls(), kBillingToken, "reg-r", true);
    if (status.ok() || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();

  // The server certificate is replaced by one from another CA: new
  // connections get it, again without a restart.
  auto other_ca = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(other_ca.ok());
  std::ifstream new_cert(other_ca->server_cert), new_key(other_ca->server_key);
  std::ofstream(key_) << new_key.rdbuf();
  std::ofstream(cert_) << new_cert.rdbuf();
  give_up = absl::Now() + absl::Seconds(15);
  for (;;) {  // polled, bounded: the gateway looks at its files every second
    status = DeleteSms(Channel(other_ca->ca_cert), kBillingToken, "reg-r", true);
    if (status.ok() || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  ExpectNoSecretAnywhere();
}

}  // namespace
}  // namespace linkgateway::tests::integration
