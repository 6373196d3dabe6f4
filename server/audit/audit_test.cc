// The audit sink (durability, rotation, fail-closed) and the records.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.pb.h"
#include "server/audit/audit_log.h"
#include "server/audit/audit_record.h"

namespace linkgateway::server::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace pb = linkgateway::audit::v1;

std::string TempPath(std::string const& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

std::string Read(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status AppendAndWait(AuditLog& log, pb::AuditRecord const& record) {
  absl::Notification done;
  absl::Status result;
  log.Append(record, [&](absl::Status status) {
    result = status;
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  return result;
}

pb::AuditRecord Record(std::string const& method) {
  pb::AuditRecord record;
  record.set_method(method);
  record.mutable_outcome()->set_code("OK");
  return record;
}

TEST(AuditLogTest, RecordsAreJsonLinesOnDiskBeforeDone) {
  std::string path = TempPath("audit-lines.jsonl");
  AuditLog log({path, 1 << 20, 3});
  ASSERT_TRUE(log.Ready().ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Other")).ok());
  std::string text = Read(path);
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    pb::AuditRecord parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
    ++count;
  }
  EXPECT_EQ(count, 2);
  EXPECT_THAT(text, HasSubstr("\"method\":\"/a.S/Delete\""));
  EXPECT_EQ(log.written(), 2);
}

TEST(AuditLogTest, RotatesBySize) {
  std::string path = TempPath("audit-rotate.jsonl");
  AuditLog log({path, 300, 2});
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 300);
  EXPECT_EQ(stat((path + ".1").c_str(), &st), 0);
  EXPECT_EQ(stat((path + ".2").c_str(), &st), 0);
  EXPECT_NE(stat((path + ".3").c_str(), &st), 0);  // only max_files are kept
}

TEST(AuditLogTest, AFullDeviceFailsClosedBeforeAnythingIsSent) {
  // /dev/full refuses every write (ENOSPC) and cannot reserve space.
  AuditLog log({"/dev/full", 1 << 20, 1});
  absl::Status ready = log.Ready();
  ASSERT_EQ(ready.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ready.message()), HasSubstr("the audit trail cannot be written"));
  EXPECT_FALSE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  EXPECT_EQ(log.failures(), 1);
}

TEST(AuditLogTest, AnUnwritableDirectoryFailsClosed) {
  AuditLog log({"/proc/linkgateway-audit/audit.jsonl", 1 << 20, 1});
  EXPECT_EQ(log.Ready().code(), absl::StatusCode::kUnavailable);
}

TEST(AuditRecordTest, HoldsTheFactsButNeverTheSensitiveFields) {
  v1::DeleteRegistrationRequest request;
  request.mutable_dash_replenishment()->set_access_token("Atza|customer-secret-token");
  request.mutable_dash_replenishment()->set_api_version(v1::DASH_REPLENISHMENT_API_VERSION_1_0);
  request.mutable_dash_replenishment()->set_device_model_id("model-a");
  request.mutable_dash_replenishment()->set_device_identifier("serial-1");
  CallFacts facts;
  facts.method = "/linkgateway.v1.RegistrationService/DeleteRegistration";
  facts.caller = {"spiffe://example.org/ops", security::ProvenBy::kMtlsSpiffeId, "ipv4:1.2.3.4:5"};
  facts.start = absl::FromUnixSeconds(1'800'000'000);
  facts.request_id = "req-42";
  facts.trace_id = TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  v1::DeleteRegistrationResponse response;
  response.mutable_dash_replenishment();
  adapters::transport::UpstreamTrace trace;
  trace.sends = 2;
  trace.last_http_status = 200;
  auto record = MakeAuditRecord(facts, request, absl::OkStatus(), &response, &trace,
                                facts.start + absl::Milliseconds(250));
  EXPECT_EQ(record.caller().principal(), "spiffe://example.org/ops");
  EXPECT_EQ(record.caller().authenticated_by(), pb::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID);
  EXPECT_EQ(record.provider(), "dash_replenishment");
  EXPECT_EQ(record.target().at("device_model_id"), "model-a");
  EXPECT_EQ(record.target().at("api_version"), "DASH_REPLENISHMENT_API_VERSION_1_0");
  EXPECT_EQ(record.target().count("access_token"), 0u);
  EXPECT_EQ(record.outcome().code(), "OK");
  EXPECT_EQ(record.upstream().attempts(), 2);
  EXPECT_EQ(record.upstream().http_status(), 200);
  EXPECT_EQ(record.latency().nanos(), 250'000'000);
  EXPECT_EQ(record.request_id(), "req-42");
  EXPECT_EQ(record.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_THAT(record.DebugString(), Not(HasSubstr("customer-secret-token")));
}

TEST(AuditRecordTest, TraceIdOnlyFromAWellFormedTraceparent) {
  EXPECT_EQ(TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(TraceIdOf("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "");
  EXPECT_EQ(TraceIdOf("garbage"), "");
  EXPECT_EQ(TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"), "");
}

}  // namespace
}  // namespace linkgateway::server::audit
