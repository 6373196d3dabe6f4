// Callers who cannot even authenticate cannot flush the audit trail: their
// refusals are recorded compactly (no target, no ids, nothing of theirs
// unbounded) and at most a budget per peer, so a flood of them with huge
// request_ids never rotates a real delete's record out of a small trail.
// The real binary, the emulators, loopback.
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "server/security/token_file.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/metrics_text.h"

namespace linkgateway::tests::integration {
namespace {

constexpr char kOpsToken[] = "ops-token-77e1c0d2b3a4f596";

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

// Every line of the trail's files (audit.jsonl, audit.jsonl.1, ...).
std::string Trail(std::string const& path) {
  std::string all;
  for (std::string file : {path, path + ".1", path + ".2"}) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) absl::StrAppend(&all, line, "\n");
  }
  return all;
}

TEST(AuditFloodTest, UnauthenticatedRefusalsNeverPushARealDeleteOutOfTheTrail) {
  std::string tokens = Dir() + "/flood-tokens.txt";
  std::ofstream(tokens) << server::security::HashTokenLine("ops", kOpsToken) << "\n";
  std::string audit = Dir() + "/flood-audit.jsonl";
  tests::testing::EmulatedGatewayOptions options;
  // A small trail: two files of 64 KiB, which the refusals below would
  // fill several times over if each were written.
  options.security_config =
      absl::StrCat("plaintext: true\nauthentication { token_file: \"", tokens, "\" }\n",
                   "audit { path: \"", audit, "\" max_file_bytes: 65536 max_files: 2 }");
  auto env = tests::testing::EmulatedGateway::Start(options);
  ASSERT_TRUE(env.ok()) << env.status();
  auto stub = v1::RegistrationService::NewStub((*env)->channel());

  // The record that must survive: a real delete.
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kOpsToken));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id("reg-the-record-that-stays");
    v1::DeleteRegistrationResponse response;
    grpc::Status status = stub->DeleteRegistration(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  }
  ASSERT_THAT(Trail(audit), ::testing::HasSubstr("reg-the-record-that-stays"));

  // 1000 unauthenticated calls, each with a 60 KB request_id.
  std::string huge(60 * 1024, 'x');
  int refused = 0;
  for (int i = 0; i < 1000; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::DeleteRegistrationRequest request;
    request.set_request_id(huge);
    request.mutable_sms_voice()->set_registration_id(absl::StrCat("reg-", i));
    v1::DeleteRegistrationResponse response;
    if (stub->DeleteRegistration(&context, request, &response).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, 1000);
  std::string trail = Trail(audit);
  // (Not EXPECT_THAT: the trail is too long to print.)
  EXPECT_NE(trail.find("reg-the-record-that-stays"), std::string::npos)
      << "the delete's record was rotated out of the trail";
  EXPECT_EQ(trail.find(huge.substr(0, 1024)), std::string::npos)
      << "nothing of an unauthenticated caller's text is written";
  auto metrics = (*env)->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  double dropped =
      tests::testing::MetricValue(*metrics, "linkgateway_audit_refusals_dropped_total");
  EXPECT_GT(dropped, 0) << "beyond the peer's burst, refusals are counted, not written";
}

}  // namespace
}  // namespace linkgateway::tests::integration
