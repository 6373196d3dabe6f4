#include "observability/access_log/access_log.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace linkgateway::observability::access_log {
namespace {

using linkgateway::audit::v1::AuditRecord;
using ::testing::HasSubstr;
using TimeUtil = google::protobuf::util::TimeUtil;

AuditRecord Record() {
  AuditRecord record;
  *record.mutable_time() = TimeUtil::NanosecondsToTimestamp(1700000000123456789);
  record.mutable_caller()->set_principal("spiffe://example.org/billing");
  record.mutable_caller()->set_authenticated_by(
      linkgateway::audit::v1::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID);
  record.mutable_caller()->set_peer("ipv4:127.0.0.1:5000");
  record.set_method("/linkgateway.v1.RegistrationService/DeleteRegistration");
  record.set_provider("sms_voice");
  (*record.mutable_target())["registration_id"] = "reg-1";
  record.mutable_outcome()->set_code("NOT_FOUND");
  record.mutable_outcome()->set_reason("UPSTREAM_NOT_FOUND");
  record.mutable_upstream()->set_attempts(2);
  record.mutable_upstream()->set_http_status(400);
  record.mutable_upstream()->set_request_id("aws-1");
  *record.mutable_latency() = TimeUtil::MicrosecondsToDuration(12345);
  record.set_request_id("req-7");
  record.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  return record;
}

TEST(AccessLogTextTest, OneReadableLine) {
  EXPECT_EQ(AccessLogText(Record()),
            "2023-11-14T22:13:20.123Z DeleteRegistration sms_voice NOT_FOUND/UPSTREAM_NOT_FOUND "
            "12.3ms caller=spiffe://example.org/billing/mtls_spiffe_id peer=ipv4:127.0.0.1:5000 "
            "target.registration_id=reg-1 upstream_attempts=2 upstream_status=400 "
            "upstream_request_id=aws-1 request_id=req-7 trace_id=4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(AccessLogTextTest, AnonymousDryRunWithoutUpstream) {
  AuditRecord record;
  record.set_method("/linkgateway.v1.SubscriptionService/DeleteSubscription");
  record.mutable_caller()->set_authenticated_by(linkgateway::audit::v1::AUTHENTICATION_METHOD_NONE);
  record.mutable_caller()->set_peer("ipv4:127.0.0.1:1");
  record.mutable_outcome()->set_code("OK");
  record.set_validate_only(true);
  EXPECT_EQ(AccessLogText(record),
            "1970-01-01T00:00:00.000Z DeleteSubscription - OK 0.0ms caller=anonymous/none "
            "peer=ipv4:127.0.0.1:1 validate_only=true");
}

TEST(AccessLogTextTest, ValuesThatAreNotPlainAreQuotedSoALineStaysOneLine) {
  AuditRecord record = Record();
  record.set_request_id("two\nlines \"quoted\"");
  std::string line = AccessLogText(record);
  EXPECT_THAT(line, HasSubstr(R"(request_id="two\nlines \"quoted\"")"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

std::string TempPath() {
  char const* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/access_log_test." +
         std::to_string(::getpid());
}

std::string Contents(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AccessLogTest, JsonLinesAppendedToAFile) {
  std::string path = TempPath() + ".json";
  observability::metrics::Counter dropped;
  config::v1::AccessLog config;
  config.set_path(path);
  {
    auto log = AccessLog::Open(config, dropped);
    ASSERT_TRUE(log.ok()) << log.status();
    (*log)->Write(Record());
    (*log)->Write(Record());
  }  // destroying the log writes what is buffered
  std::string text = Contents(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_THAT(text,
              HasSubstr(R"("method":"/linkgateway.v1.RegistrationService/DeleteRegistration")"));
  EXPECT_THAT(text, HasSubstr(R"("request_id":"req-7")"));
  EXPECT_EQ(dropped.value(), 0u);
}

TEST(AccessLogTest, TextFormat) {
  std::string path = TempPath() + ".txt";
  observability::metrics::Counter dropped;
  config::v1::AccessLog config;
  config.set_path(path);
  config.set_format(config::v1::ACCESS_LOG_FORMAT_TEXT);
  {
    auto log = AccessLog::Open(config, dropped);
    ASSERT_TRUE(log.ok());
    (*log)->Write(Record());
  }
  EXPECT_EQ(Contents(path), AccessLogText(Record()) + "\n");
}

TEST(AccessLogTest, AFullBufferDropsAndCountsInsteadOfGrowing) {
  observability::metrics::Counter dropped;
  config::v1::AccessLog config;
  config.set_path("/dev/null");
  // A buffer smaller than one line: every line is dropped.
  auto log = AccessLog::Open(config, dropped, /*max_buffered_bytes=*/16);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 5; ++i) (*log)->Write(Record());
  EXPECT_EQ(dropped.value(), 5u);
}

TEST(AccessLogTest, AFileThatCannotBeOpenedNamesTheKey) {
  observability::metrics::Counter dropped;
  config::v1::AccessLog config;
  config.set_path("/nonexistent-directory/access.log");
  auto log = AccessLog::Open(config, dropped);
  EXPECT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("observability.access_log.path"));
}

}  // namespace
}  // namespace linkgateway::observability::access_log
