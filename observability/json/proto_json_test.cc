#include "observability/json/proto_json.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "linkgateway/audit/v1/audit.pb.h"

namespace linkgateway::observability::json {
namespace {

using linkgateway::audit::v1::AuditRecord;
using TimeUtil = google::protobuf::util::TimeUtil;

std::string Protobufs(google::protobuf::Message const& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &out, options).ok());
  return out;
}

AuditRecord Full() {
  AuditRecord record;
  *record.mutable_time() = TimeUtil::NanosecondsToTimestamp(1700000000123456789);
  record.mutable_caller()->set_principal("spiffe://example.org/ns/prod/sa/billing");
  record.mutable_caller()->set_authenticated_by(
      linkgateway::audit::v1::AUTHENTICATION_METHOD_BEARER_TOKEN);
  record.mutable_caller()->set_peer("ipv4:127.0.0.1:50524");
  record.set_method("/linkgateway.v1.RegistrationService/DeleteRegistration");
  record.set_provider("sms_voice");
  (*record.mutable_target())["registration_id"] = "reg-1";
  record.set_validate_only(true);
  record.mutable_outcome()->set_code("NOT_FOUND");
  record.mutable_outcome()->set_reason("UPSTREAM_NOT_FOUND");
  record.mutable_outcome()->set_already_deleted(true);
  record.mutable_outcome()->set_policy_rule("ops");
  record.mutable_upstream()->set_attempts(3);
  record.mutable_upstream()->set_http_status(400);
  record.mutable_upstream()->set_request_id("aws-1");
  *record.mutable_latency() = TimeUtil::NanosecondsToDuration(86481);
  record.set_request_id("req-7");
  record.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  return record;
}

// Table: records whose JSON must be exactly what protobuf's printer writes.
TEST(ProtoJsonTest, SameTextAsProtobufsPrinter) {
  std::vector<AuditRecord> cases;
  cases.push_back(Full());
  cases.push_back(AuditRecord());  // nothing set: {}
  AuditRecord empty_children;
  empty_children.mutable_upstream();  // set but empty: "upstream":{}
  empty_children.mutable_outcome()->set_code("OK");
  cases.push_back(empty_children);
  for (std::int64_t nanos : {0, 500000000, 120000, 7}) {  // 0, 3, 6, 9 digits
    AuditRecord timed;
    *timed.mutable_time() = TimeUtil::NanosecondsToTimestamp(1700000000000000000 + nanos);
    *timed.mutable_latency() = TimeUtil::NanosecondsToDuration(2000000000 + nanos);
    cases.push_back(timed);
  }
  AuditRecord negative;
  *negative.mutable_latency() = TimeUtil::NanosecondsToDuration(-1500000);
  cases.push_back(negative);
  AuditRecord unknown_enum;
  unknown_enum.mutable_caller()->set_authenticated_by(
      static_cast<linkgateway::audit::v1::AuthenticationMethod>(42));
  cases.push_back(unknown_enum);
  for (auto const& record : cases) {
    EXPECT_EQ(ProtoJson(record), Protobufs(record)) << record.DebugString();
  }
}

// Text that needs escaping: whatever the spelling, protobuf's parser reads
// back the same message, and the line stays one line.
TEST(ProtoJsonTest, EscapedTextReadsBackTheSame) {
  AuditRecord record = Full();
  record.set_request_id("quote \" backslash \\ newline \n tab \t bell \a del \x7f é ✓");
  (*record.mutable_target())["b"] = "second";
  (*record.mutable_target())["a\"key"] = "first";
  std::string text = ProtoJson(record);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  AuditRecord parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &parsed).ok()) << text;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, record)) << text;
  // Map keys come out sorted: the same record, the same line.
  EXPECT_LT(text.find("\"a\\\"key\""), text.find("\"b\""));
}

TEST(ProtoJsonTest, UnsupportedTypesGoThroughProtobufsPrinter) {
  google::protobuf::Value value;  // google.protobuf.Struct family
  value.set_number_value(1.5);
  EXPECT_EQ(ProtoJson(value), "1.5");
}

}  // namespace
}  // namespace linkgateway::observability::json
