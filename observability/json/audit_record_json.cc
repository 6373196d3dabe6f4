#include "observability/json/audit_record_json.h"

#include <algorithm>
#include <initializer_list>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "observability/json/json_text.h"
#include "observability/json/proto_json.h"

namespace linkgateway::observability::json {
namespace {

namespace pb = linkgateway::audit::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

struct Field {
  int number;
  char const* name;
  FieldDescriptor::Type type;
};

// What the writer below knows, message by message: any difference in the
// compiled descriptors sends records to the reflective writer.
bool Knows(Descriptor const* type, std::initializer_list<Field> fields) {
  if (type->field_count() != static_cast<int>(fields.size())) return false;
  for (Field const& known : fields) {
    auto const* field = type->FindFieldByNumber(known.number);
    if (field == nullptr || field->name() != known.name || field->type() != known.type) {
      return false;
    }
  }
  return true;
}

bool KnowsEveryField() {
  using T = FieldDescriptor;
  auto const* record = pb::AuditRecord::descriptor();
  auto const* target = record->FindFieldByNumber(5);
  return Knows(record, {{1, "time", T::TYPE_MESSAGE},
                        {2, "caller", T::TYPE_MESSAGE},
                        {3, "method", T::TYPE_STRING},
                        {4, "provider", T::TYPE_STRING},
                        {5, "target", T::TYPE_MESSAGE},
                        {6, "validate_only", T::TYPE_BOOL},
                        {7, "outcome", T::TYPE_MESSAGE},
                        {8, "upstream", T::TYPE_MESSAGE},
                        {9, "latency", T::TYPE_MESSAGE},
                        {10, "request_id", T::TYPE_STRING},
                        {11, "trace_id", T::TYPE_STRING},
                        {12, "idempotency_id", T::TYPE_STRING},
                        {13, "unlink_operation", T::TYPE_STRING},
                        {14, "unlink_step", T::TYPE_INT32},
                        {15, "sequence", T::TYPE_UINT64},
                        {16, "previous_hash", T::TYPE_STRING},
                        {17, "file_start", T::TYPE_MESSAGE},
                        {18, "trail_event", T::TYPE_MESSAGE},
                        {20, "account", T::TYPE_STRING}}) &&
         target != nullptr && target->is_map() &&
         target->message_type()->map_key()->type() == T::TYPE_STRING &&
         target->message_type()->map_value()->type() == T::TYPE_STRING &&
         Knows(pb::Caller::descriptor(), {{1, "principal", T::TYPE_STRING},
                                          {2, "authenticated_by", T::TYPE_ENUM},
                                          {3, "peer", T::TYPE_STRING}}) &&
         Knows(pb::Outcome::descriptor(), {{1, "code", T::TYPE_STRING},
                                           {2, "reason", T::TYPE_STRING},
                                           {3, "already_deleted", T::TYPE_BOOL},
                                           {4, "policy_rule", T::TYPE_STRING},
                                           {5, "replayed", T::TYPE_BOOL}}) &&
         Knows(pb::Upstream::descriptor(), {{1, "attempts", T::TYPE_INT32},
                                            {2, "http_status", T::TYPE_INT32},
                                            {3, "request_id", T::TYPE_STRING}});
}

// Writes "name":value pairs of one JSON object, commas between them.
class Object {
 public:
  explicit Object(std::string& out) : out_(out) { out_.push_back('{'); }
  ~Object() { out_.push_back('}'); }

  // Starts a member; the caller appends its value.
  std::string& Key(char const* name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_ += name;
    out_ += "\":";
    return out_;
  }
  // Proto3: a default value (empty, false, 0) is left out.
  void String(char const* name, std::string const& value) {
    if (!value.empty()) AppendJsonString(value, Key(name));
  }
  void Bool(char const* name, bool value) {
    if (value) Key(name) += "true";
  }
  void Int(char const* name, std::int32_t value) {
    if (value != 0) absl::StrAppend(&Key(name), value);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void AppendCaller(pb::Caller const& caller, std::string& out) {
  Object object(out);
  object.String("principal", caller.principal());
  if (int how = caller.authenticated_by(); how != 0) {
    if (pb::AuthenticationMethod_IsValid(how)) {
      AppendJsonString(pb::AuthenticationMethod_Name(caller.authenticated_by()),
                       object.Key("authenticated_by"));
    } else {
      absl::StrAppend(&object.Key("authenticated_by"), how);
    }
  }
  object.String("peer", caller.peer());
}

void AppendTarget(google::protobuf::Map<std::string, std::string> const& target, std::string& out) {
  // Keys sorted, as the reflective writer does.
  std::vector<std::pair<std::string const*, std::string const*>> entries;
  entries.reserve(target.size());
  for (auto const& [key, value] : target) entries.emplace_back(&key, &value);
  std::sort(entries.begin(), entries.end(), [](auto const& a, auto const& b) {
    return *a.first != *b.first ? *a.first < *b.first : *a.second < *b.second;
  });
  out.push_back('{');
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(*entries[i].first, out);
    out.push_back(':');
    AppendJsonString(*entries[i].second, out);
  }
  out.push_back('}');
}

void AppendOutcome(pb::Outcome const& outcome, std::string& out) {
  Object object(out);
  object.String("code", outcome.code());
  object.String("reason", outcome.reason());
  object.Bool("already_deleted", outcome.already_deleted());
  object.String("policy_rule", outcome.policy_rule());
  object.Bool("replayed", outcome.replayed());
}

void AppendUpstream(pb::Upstream const& upstream, std::string& out) {
  Object object(out);
  object.Int("attempts", upstream.attempts());
  object.Int("http_status", upstream.http_status());
  object.String("request_id", upstream.request_id());
}

void AppendKnown(pb::AuditRecord const& record, std::string& out) {
  Object object(out);
  if (record.has_time()) {
    AppendJsonTimestamp(record.time().seconds(), record.time().nanos(), object.Key("time"));
  }
  if (record.has_caller()) AppendCaller(record.caller(), object.Key("caller"));
  object.String("method", record.method());
  object.String("provider", record.provider());
  if (!record.target().empty()) AppendTarget(record.target(), object.Key("target"));
  object.Bool("validate_only", record.validate_only());
  if (record.has_outcome()) AppendOutcome(record.outcome(), object.Key("outcome"));
  if (record.has_upstream()) AppendUpstream(record.upstream(), object.Key("upstream"));
  if (record.has_latency()) {
    AppendJsonDuration(record.latency().seconds(), record.latency().nanos(), object.Key("latency"));
  }
  object.String("request_id", record.request_id());
  object.String("trace_id", record.trace_id());
  object.String("idempotency_id", record.idempotency_id());
  object.String("unlink_operation", record.unlink_operation());
  object.Int("unlink_step", record.unlink_step());
  // 64-bit integers are JSON strings.
  if (record.sequence() != 0)
    absl::StrAppend(&object.Key("sequence"), "\"", record.sequence(), "\"");
  object.String("previous_hash", record.previous_hash());
  // Once a file at most: the reflective writer is cheap enough there.
  if (record.has_file_start()) AppendProtoJson(record.file_start(), object.Key("file_start"));
  if (record.has_trail_event()) AppendProtoJson(record.trail_event(), object.Key("trail_event"));
  object.String("account", record.account());
}

}  // namespace

bool AuditRecordJsonKnowsEveryField() {
  static bool const knows = KnowsEveryField();
  return knows;
}

void AppendAuditRecordJson(pb::AuditRecord const& record, std::string& out) {
  if (!AuditRecordJsonKnowsEveryField()) return AppendProtoJson(record, out);
  AppendKnown(record, out);
}

}  // namespace linkgateway::observability::json
