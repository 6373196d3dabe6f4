#include "observability/json/audit_record_json.h"

#include <cstdint>
#include <random>
#include <string>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "observability/json/proto_json.h"

namespace linkgateway::observability::json {
namespace {

namespace pb = linkgateway::audit::v1;
using TimeUtil = google::protobuf::util::TimeUtil;

// Table: the records the gateway writes, and the edges of each field.
TEST(AuditRecordJsonTest, SameTextAsTheReflectiveWriter) {
  ASSERT_TRUE(AuditRecordJsonKnowsEveryField())
      << "AuditRecord changed: teach audit_record_json.cc its new fields";
  std::vector<pb::AuditRecord> cases;
  cases.emplace_back();  // {}
  pb::AuditRecord full;
  *full.mutable_time() = TimeUtil::NanosecondsToTimestamp(1700000000123456789);
  full.mutable_caller()->set_principal("spiffe://example.org/ns/prod/sa/billing");
  full.mutable_caller()->set_authenticated_by(pb::AUTHENTICATION_METHOD_BEARER_TOKEN);
  full.mutable_caller()->set_peer("ipv4:127.0.0.1:50524");
  full.set_method("/linkgateway.v1.RegistrationService/DeleteRegistration");
  full.set_provider("sms_voice");
  full.set_account("eu");
  (*full.mutable_target())["registration_id"] = "reg-1";
  (*full.mutable_target())["account"] = "a \"quoted\" \\ value\n";
  full.set_validate_only(true);
  full.mutable_outcome()->set_code("NOT_FOUND");
  full.mutable_outcome()->set_reason("UPSTREAM_NOT_FOUND");
  full.mutable_outcome()->set_already_deleted(true);
  full.mutable_outcome()->set_policy_rule("ops");
  full.mutable_outcome()->set_replayed(true);
  full.mutable_upstream()->set_attempts(3);
  full.mutable_upstream()->set_http_status(400);
  full.mutable_upstream()->set_request_id("aws-1");
  *full.mutable_latency() = TimeUtil::NanosecondsToDuration(86481);
  full.set_request_id("req-7");
  full.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  full.set_idempotency_id("3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b");
  full.set_unlink_operation("operations/unlink-1");
  full.set_unlink_step(-1);
  full.set_sequence(UINT64_MAX);
  full.set_previous_hash("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  full.mutable_file_start()->set_reason("rotated by size");
  full.mutable_file_start()->mutable_previous_file()->set_bytes(1 << 20);
  full.mutable_file_start()->mutable_previous_file()->set_last_sequence(41);
  full.mutable_file_start()->set_previous_file_incomplete(true);
  full.mutable_trail_event()->set_kind(pb::TRAIL_EVENT_KIND_SEALED);
  full.mutable_trail_event()->mutable_sealed()->set_signature("c2ln");
  cases.push_back(full);
  pb::AuditRecord empty_children;
  empty_children.mutable_caller();
  empty_children.mutable_outcome();
  empty_children.mutable_upstream();
  *empty_children.mutable_time() = TimeUtil::NanosecondsToTimestamp(0);
  *empty_children.mutable_latency() = TimeUtil::NanosecondsToDuration(0);
  cases.push_back(empty_children);
  for (std::int64_t nanos : {0, 500000000, 120000, 7}) {  // 0, 3, 6, 9 digits
    pb::AuditRecord timed;
    *timed.mutable_time() = TimeUtil::NanosecondsToTimestamp(1700000000000000000 + nanos);
    *timed.mutable_latency() = TimeUtil::NanosecondsToDuration(2000000000 + nanos);
    cases.push_back(timed);
  }
  pb::AuditRecord extremes;
  extremes.mutable_time()->set_seconds(TimeUtil::kTimestampMinSeconds);
  *extremes.mutable_latency() = TimeUtil::NanosecondsToDuration(-1500000);
  extremes.mutable_upstream()->set_attempts(INT32_MIN);
  extremes.mutable_upstream()->set_http_status(INT32_MAX);
  cases.push_back(extremes);
  pb::AuditRecord last_second;
  last_second.mutable_time()->set_seconds(TimeUtil::kTimestampMaxSeconds);
  last_second.mutable_time()->set_nanos(999999999);
  cases.push_back(last_second);
  pb::AuditRecord unknown_enum;
  unknown_enum.mutable_caller()->set_authenticated_by(static_cast<pb::AuthenticationMethod>(42));
  cases.push_back(unknown_enum);
  pb::AuditRecord control;
  // A NUL inside too (the literal's own length, not strlen's).
  static constexpr char kControl[] = "\x01\x1f\x7f\b\f\r\t \xc3\xa9 \xe2\x80\xa8 \0end";
  control.set_request_id(std::string(kControl, sizeof(kControl) - 1));
  cases.push_back(control);
  for (auto const& record : cases) {
    EXPECT_EQ(AuditRecordJson(record), ProtoJson(record)) << record.DebugString();
  }
}

// Many random records: every field present or not, any bytes in the text.
TEST(AuditRecordJsonTest, RandomRecordsSameTextAsTheReflectiveWriter) {
  std::mt19937_64 random(29);
  auto chance = [&random] { return random() % 2 == 0; };
  auto text = [&random] {
    std::string out(random() % 12, ' ');
    for (char& c : out) {
      // Printable ASCII most of the time; quotes, backslashes, control
      // characters, DEL and bytes of UTF-8 now and then.
      static constexpr char kSpecial[] = {'"', '\\', '\n', '\0', '\x1b', '\x7f', '\xc3', '\xa9'};
      c = random() % 4 == 0 ? kSpecial[random() % sizeof(kSpecial)]
                            : static_cast<char>(' ' + random() % 95);
    }
    return out;
  };
  for (int i = 0; i < 2000; ++i) {
    pb::AuditRecord record;
    if (chance()) {
      record.mutable_time()->set_seconds(
          TimeUtil::kTimestampMinSeconds +
          static_cast<std::int64_t>(random() %
                                    static_cast<std::uint64_t>(TimeUtil::kTimestampMaxSeconds -
                                                               TimeUtil::kTimestampMinSeconds)));
      record.mutable_time()->set_nanos(static_cast<std::int32_t>(random() % 1000000000));
    }
    if (chance()) {
      if (chance()) record.mutable_caller()->set_principal(text());
      record.mutable_caller()->set_authenticated_by(
          static_cast<pb::AuthenticationMethod>(random() % 8));
      if (chance()) record.mutable_caller()->set_peer(text());
    }
    if (chance()) record.set_method(text());
    if (chance()) record.set_provider(text());
    for (int k = static_cast<int>(random() % 4); k > 0; --k) {
      (*record.mutable_target())[text()] = text();
    }
    record.set_validate_only(chance());
    if (chance()) {
      auto* outcome = record.mutable_outcome();
      if (chance()) outcome->set_code(text());
      if (chance()) outcome->set_reason(text());
      outcome->set_already_deleted(chance());
      if (chance()) outcome->set_policy_rule(text());
      outcome->set_replayed(chance());
    }
    if (chance()) {
      auto* upstream = record.mutable_upstream();
      upstream->set_attempts(static_cast<std::int32_t>(random() % 5) - 1);
      upstream->set_http_status(chance() ? 0 : static_cast<std::int32_t>(100 + random() % 500));
      if (chance()) upstream->set_request_id(text());
    }
    if (chance()) {
      std::int64_t seconds = static_cast<std::int64_t>(random() % 1000) - 500;
      std::int32_t nanos = static_cast<std::int32_t>(random() % 1000000000);
      if (seconds < 0) nanos = -nanos;
      record.mutable_latency()->set_seconds(seconds);
      record.mutable_latency()->set_nanos(nanos);
    }
    if (chance()) record.set_request_id(text());
    if (chance()) record.set_trace_id(text());
    if (chance()) record.set_idempotency_id(text());
    if (chance()) record.set_unlink_operation(text());
    record.set_unlink_step(static_cast<std::int32_t>(random() % 5) - 1);
    if (chance()) record.set_sequence(random());
    if (chance()) record.set_previous_hash(text());
    if (chance()) record.mutable_file_start()->set_reason(text());
    if (chance()) record.mutable_trail_event()->set_detail(text());
    ASSERT_EQ(AuditRecordJson(record), ProtoJson(record)) << record.DebugString();
  }
}

}  // namespace
}  // namespace linkgateway::observability::json
