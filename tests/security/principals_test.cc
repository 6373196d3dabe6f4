// Look-alike identities against the real gateway (issue 23, item 1): a
// certificate whose CN or DNS SAN reads like a SPIFFE id, and a certificate
// whose CN is a bearer token's name, must not become those callers — not in
// the policy, not for request_id replays, not for unlink jobs, not in the
// audit trail or the access log. Policies in the old bare form do not load.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/security/secure_gateway.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokA[] = "tok-a-secret-7f3e91";

class PrincipalAttackTest : public SecureGatewayTest {};

TEST_F(PrincipalAttackTest, ACertificateNamedLikeASpiffeIdIsRefused) {
  SecureOptions options;
  options.policy = R"({"name": "p", "allow_rules": [
      {"name": "ops-deletes", "source": {"principals": ["spiffe://example.org/ops"]}}]})";
  StartSecure(options);
  SeedSms("reg-spiffe");
  auto by_cn = Certificate("cn-spiffe", "/CN=spiffe:\\/\\/example.org\\/ops");
  auto by_dns = Certificate("dns-spiffe", "/CN=innocent", "DNS:spiffe://example.org/ops");
  for (auto const* cert : {&by_cn, &by_dns}) {
    grpc::Status status = DeleteSms(Channel(cert), "", "reg-spiffe");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("contains \"://\""));
  }
  EXPECT_EQ(SmsDeletes(), 0);
  for (auto const& record : AuditRecords()) {
    EXPECT_NE(record.caller().principal(), "spiffe://example.org/ops");
    EXPECT_EQ(record.outcome().code(), "UNAUTHENTICATED");
  }
  // The real thing, from a URI SAN, is that principal.
  auto real = Certificate("uri-spiffe", "/CN=ops", "URI:spiffe://example.org/ops");
  grpc::Status allowed = DeleteSms(Channel(&real), "", "reg-spiffe");
  EXPECT_TRUE(allowed.ok()) << allowed.error_message();
  EXPECT_EQ(SmsDeletes(), 1);
  auto records = AuditRecords();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().caller().principal(), "spiffe://example.org/ops");
}

TEST_F(PrincipalAttackTest, ACommonNameIsNotTheBearerTokenOfTheSameName) {
  SecureOptions options;
  // Both may do everything: what keeps them apart is who they are.
  options.policy = R"({"name": "p", "allow_rules": [
      {"name": "tok-a", "source": {"principals": ["token:tok-a"]}},
      {"name": "cn-tok-a", "source": {"principals": ["cn:tok-a"]}}]})";
  StartSecure(options);
  auto look_alike = Certificate("cn-tok-a", "/CN=tok-a");
  auto token_channel = Channel();
  auto cert_channel = Channel(&look_alike);
  SeedSms("reg-replay");

  // A delete with a request_id by the token, then the same request_id by the
  // certificate: not the token's recorded answer, a call of its own.
  constexpr char kRequestId[] = "0b4a7c52-8d1e-4f3a-9c6b-2e5d7f8a1b3c";
  grpc::Status first = DeleteSms(token_channel, kTokA, "reg-replay", kRequestId);
  ASSERT_TRUE(first.ok()) << first.error_message();
  grpc::Status second = DeleteSms(cert_channel, "", "reg-replay", kRequestId);
  EXPECT_EQ(SmsDeletes(), 2) << "the look-alike was answered from the token's record";
  auto records = AuditRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].caller().principal(), "token:tok-a");
  EXPECT_EQ(records[0].caller().authenticated_by(),
            linkgateway::audit::v1::AUTHENTICATION_METHOD_BEARER_TOKEN);
  EXPECT_EQ(records[1].caller().principal(), "cn:tok-a");
  EXPECT_EQ(records[1].caller().authenticated_by(),
            linkgateway::audit::v1::AUTHENTICATION_METHOD_MTLS_COMMON_NAME);
  EXPECT_FALSE(records[1].outcome().replayed());
  std::string access_log = ReadFile(env_->access_log_path());
  EXPECT_THAT(access_log, HasSubstr("\"principal\":\"cn:tok-a\""));
  EXPECT_THAT(access_log, HasSubstr("\"principal\":\"token:tok-a\""));

  // The token's unlink job is not the look-alike's to read or cancel.
  SeedSms("reg-job");
  v1::StartUnlinkRequest start;
  start.add_targets()->mutable_sms_voice_registration()->set_registration_id("reg-job");
  google::longrunning::Operation job;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kTokA));
    grpc::Status started =
        v1::UnlinkService::NewStub(token_channel)->StartUnlink(&context, start, &job);
    ASSERT_TRUE(started.ok()) << started.error_message();
  }
  auto operations = google::longrunning::Operations::NewStub(cert_channel);
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    google::longrunning::GetOperationRequest get;
    get.set_name(job.name());
    google::longrunning::Operation seen;
    EXPECT_EQ(operations->GetOperation(&context, get, &seen).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    google::longrunning::CancelOperationRequest cancel;
    cancel.set_name(job.name());
    google::protobuf::Empty empty;
    EXPECT_EQ(operations->CancelOperation(&context, cancel, &empty).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    google::longrunning::ListOperationsRequest list;
    google::longrunning::ListOperationsResponse listed;
    ASSERT_TRUE(operations->ListOperations(&context, list, &listed).ok());
    EXPECT_EQ(listed.operations_size(), 0);
  }
  {  // while its owner sees it
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kTokA));
    google::longrunning::GetOperationRequest get;
    get.set_name(job.name());
    google::longrunning::Operation seen;
    EXPECT_TRUE(google::longrunning::Operations::NewStub(token_channel)
                    ->GetOperation(&context, get, &seen)
                    .ok());
  }
}

TEST_F(PrincipalAttackTest, APolicyInTheOldBareFormDoesNotLoad) {
  SecureOptions options;
  options.policy = R"({"name": "p", "allow_rules": [
      {"name": "r", "source": {"principals": ["tok-a"]}}]})";
  auto run = RunExpectingExit(options);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("\"tok-a\" is not a principal: write \"token:tok-a\", "
                                     "\"cn:tok-a\" or \"dns:tok-a\""));
  EXPECT_THAT(run->output, Not(HasSubstr("listening on")));
}

TEST_F(PrincipalAttackTest, ADenyRuleThatCouldNeverMatchDoesNotLoad) {
  SecureOptions options;
  options.policy = R"({"name": "p",
      "deny_rules": [{"name": "no-deletes", "request": {"paths": ["/linkgateway.v1.*/Delete*"]}}],
      "allow_rules": [{"name": "everyone"}]})";
  auto run = RunExpectingExit(options);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("policy.deny_rules[0].request.paths[0]: "
                                     "\"/linkgateway.v1.*/Delete*\" cannot be matched"));
}

}  // namespace
}  // namespace linkgateway::tests::security
