#include "server/audit/audit_record.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/upstream_text.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::audit {
namespace {

namespace pb = linkgateway::audit::v1;

pb::AuthenticationMethod MethodOf(security::ProvenBy how) {
  switch (how) {
    case security::ProvenBy::kNone:
      return pb::AUTHENTICATION_METHOD_NONE;
    case security::ProvenBy::kMtlsSpiffeId:
      return pb::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID;
    case security::ProvenBy::kMtlsDnsSan:
      return pb::AUTHENTICATION_METHOD_MTLS_DNS_SAN;
    case security::ProvenBy::kMtlsCommonName:
      return pb::AUTHENTICATION_METHOD_MTLS_COMMON_NAME;
    case security::ProvenBy::kBearerToken:
      return pb::AUTHENTICATION_METHOD_BEARER_TOKEN;
  }
  return pb::AUTHENTICATION_METHOD_UNSPECIFIED;
}

bool Hex(absl::string_view s, std::size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The provider's request id in a success answer: a string field named
// upstream_request_id anywhere in the response's result.
std::string RequestIdIn(google::protobuf::Message const& message) {
  auto const* reflection = message.GetReflection();
  std::vector<google::protobuf::FieldDescriptor const*> fields;
  reflection->ListFields(message, &fields);
  for (auto const* f : fields) {
    if (f->name() == "upstream_request_id" &&
        f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      return reflection->GetString(message, f);
    }
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      if (auto id = RequestIdIn(reflection->GetMessage(message, f)); !id.empty()) return id;
    }
  }
  return "";
}

}  // namespace

std::string TraceIdOf(std::string const& traceparent) {
  std::vector<absl::string_view> parts = absl::StrSplit(traceparent, '-');
  if (parts.size() != 4 || !Hex(parts[0], 2) || !Hex(parts[1], 32) || !Hex(parts[2], 16) ||
      parts[1] == std::string(32, '0')) {
    return "";
  }
  return absl::AsciiStrToLower(parts[1]);
}

pb::AuditRecord MakeAuditRecord(CallFacts const& call, google::protobuf::Message const& request,
                                absl::Status const& outcome,
                                google::protobuf::Message const* response,
                                adapters::transport::UpstreamTrace const* trace, absl::Time now) {
  pb::AuditRecord record;
  *record.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(now));
  auto* caller = record.mutable_caller();
  caller->set_principal(call.caller.principal);
  caller->set_authenticated_by(MethodOf(call.caller.proven_by));
  caller->set_peer(call.caller.peer);
  record.set_method(call.method);
  record.set_provider(server::request::ProviderOf(request));
  record.set_account(call.account);
  for (auto const& [key, value] : server::request::TargetFields(request)) {
    (*record.mutable_target())[key] =
        adapters::errors::SafeText(value, adapters::errors::kMaxUpstreamValueBytes);
  }
  record.set_validate_only(server::request::ValidateOnly(request));
  auto* result = record.mutable_outcome();
  result->set_code(absl::StatusCodeToString(outcome.code()));
  result->set_policy_rule(call.policy_rule);
  result->set_replayed(call.replayed);
  auto* upstream = record.mutable_upstream();
  if (trace != nullptr) {
    upstream->set_attempts(trace->sends.load());
    upstream->set_http_status(trace->last_http_status.load());
  }
  google::rpc::ErrorInfo info;
  if (!outcome.ok() && adapters::errors::FindDetail(outcome, info)) {
    result->set_reason(info.reason());
    auto const& metadata = info.metadata();
    if (auto it = metadata.find("upstreamRequestId"); it != metadata.end()) {
      upstream->set_request_id(it->second);
    }
    int http = 0;
    if (auto it = metadata.find("httpStatus"); it != metadata.end() &&
                                              absl::SimpleAtoi(it->second, &http)) {
      upstream->set_http_status(http);
    }
  }
  if (response != nullptr) {
    auto const* already = response->GetDescriptor()->FindFieldByName("already_deleted");
    if (already != nullptr) {
      result->set_already_deleted(response->GetReflection()->GetBool(*response, already));
    }
    upstream->set_request_id(RequestIdIn(*response));
  }
  *record.mutable_latency() = google::protobuf::util::TimeUtil::NanosecondsToDuration(
      absl::ToInt64Nanoseconds(now - call.start));
  record.set_request_id(
      adapters::errors::SafeText(call.request_id, adapters::errors::kMaxUpstreamIdBytes));
  record.set_trace_id(call.trace_id);
  if (auto const* field = request.GetDescriptor()->FindFieldByName("request_id");
      field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
    // The caller's text, before anything validated it (refusals are
    // recorded too): bounded like every caller value in a record.
    record.set_idempotency_id(adapters::errors::SafeText(
        request.GetReflection()->GetString(request, field), adapters::errors::kMaxUpstreamIdBytes));
  }
  return record;
}

}  // namespace linkgateway::server::audit
