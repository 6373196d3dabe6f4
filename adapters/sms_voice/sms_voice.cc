#include "adapters/sms_voice/sms_voice.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/auth/aws_sigv4.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/errors/upstream_text.h"
#include "adapters/sms_voice/errors.h"
#include "adapters/transport/json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::adapters::sms_voice {
namespace {

// "ns#Name:suffix" -> "Name" (Smithy awsJson1_0 client rule).
std::string Sanitize(absl::string_view name) {
  name = name.substr(0, name.find(':'));
  if (auto hash = name.find('#'); hash != absl::string_view::npos) name = name.substr(hash + 1);
  return std::string(name);
}

v1::SmsVoiceRegistrationStatus StatusOf(absl::string_view name) {
  v1::SmsVoiceRegistrationStatus status;
  if (v1::SmsVoiceRegistrationStatus_Parse(absl::StrCat("SMS_VOICE_REGISTRATION_STATUS_", name),
                                           &status)) {
    return status;
  }
  return v1::SMS_VOICE_REGISTRATION_STATUS_UNSPECIFIED;
}

absl::Status SmsVoiceError(adapters::transport::HttpResponse const& response) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(Errors(), response, absl::Now());
  error.vendor_code = AwsErrorName(response);
  google::protobuf::Struct json;
  absl::Status status;
  if (google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) {
    auto const& fields = json.fields();
    std::string message = adapters::transport::StringField(fields, "Message");
    if (message.empty()) message = adapters::transport::StringField(fields, "message");
    error.message = adapters::errors::TrimmedText(message);
    for (auto [member, key] :
         {std::pair{"Reason", "upstreamReason"}, std::pair{"ResourceType", "resourceType"},
          std::pair{"ResourceId", "resourceId"},
          std::pair{"RequestId", "upstreamFaultRequestId"}}) {
      if (auto value = adapters::transport::StringField(fields, member); !value.empty())
        error.metadata[key] = value;
    }
    status = adapters::errors::MapUpstreamError(error);
    // ValidationException names the offending members.
    if (auto it = fields.find("Fields"); it != fields.end() && it->second.has_list_value()) {
      google::rpc::BadRequest bad_request;
      for (auto const& item : it->second.list_value().values()) {
        auto* violation = bad_request.add_field_violations();
        violation->set_field(
            adapters::transport::StringField(item.struct_value().fields(), "Name"));
        violation->set_description(
            adapters::transport::StringField(item.struct_value().fields(), "Message"));
      }
      adapters::errors::AttachDetail(status, bad_request);
    }
    if (status.code() == absl::StatusCode::kNotFound && error.metadata.count("resourceId")) {
      google::rpc::ResourceInfo resource;
      resource.set_resource_type(error.metadata["resourceType"]);
      resource.set_resource_name(error.metadata["resourceId"]);
      adapters::errors::AttachDetail(status, resource);
    }
    return status;
  }
  error.message = adapters::errors::TrimmedText(response.body);
  return adapters::errors::MapUpstreamError(error);
}

}  // namespace

google::protobuf::Timestamp EpochSecondsToTimestamp(double value) {
  // The decimal text the upstream most likely sent: the shortest fixed-point
  // text that reads back as the same double (1700000000.123, not
  // 1700000000.1229999...). Its digits are split, never multiplied in binary.
  char text[64];
  auto [end, error] = std::to_chars(text, text + sizeof(text), value, std::chars_format::fixed);
  absl::string_view digits(text, error == std::errc() ? end - text : 0);
  bool negative = absl::ConsumePrefix(&digits, "-");
  absl::string_view whole = digits.substr(0, digits.find('.'));
  absl::string_view fraction =
      whole.size() < digits.size() ? digits.substr(whole.size() + 1) : absl::string_view();
  int64_t seconds = 0;
  (void)absl::SimpleAtoi(whole, &seconds);
  int64_t nanos = 0;
  for (int i = 0; i < 9; ++i) {
    nanos = nanos * 10 + (i < static_cast<int>(fraction.size()) ? fraction[i] - '0' : 0);
  }
  if (fraction.size() > 9 && fraction[9] >= '5') ++nanos;  // round the tenth digit
  if (nanos == 1'000'000'000) {
    ++seconds;
    nanos = 0;
  }
  if (negative) {  // Timestamp nanos count forward from the (earlier) second
    seconds = -seconds;
    if (nanos > 0) {
      --seconds;
      nanos = 1'000'000'000 - nanos;
    }
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(nanos));
  return timestamp;
}

std::string AwsErrorName(adapters::transport::HttpResponse const& response) {
  if (auto header = response.Header("x-amzn-errortype"); !header.empty()) {
    return Sanitize(header);
  }
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) return "";
  auto const& fields = json.fields();
  std::string name = adapters::transport::StringField(fields, "__type");
  if (name.empty()) name = adapters::transport::StringField(fields, "code");
  return Sanitize(name);
}

absl::StatusOr<v1::SmsVoiceRegistration> ParseRegistration(absl::string_view body) {
  google::protobuf::Struct json;
  google::protobuf::util::JsonParseOptions options;
  if (!google::protobuf::util::JsonStringToMessage(std::string(body), &json, options).ok()) {
    return adapters::errors::MalformedResponse(Errors(),
                                               "the DeleteRegistration result is not JSON");
  }
  auto const& fields = json.fields();
  v1::SmsVoiceRegistration out;
  out.set_registration_arn(adapters::transport::StringField(fields, "RegistrationArn"));
  out.set_registration_id(adapters::transport::StringField(fields, "RegistrationId"));
  out.set_registration_type(adapters::transport::StringField(fields, "RegistrationType"));
  out.set_registration_status_name(adapters::transport::StringField(fields, "RegistrationStatus"));
  out.set_registration_status(StatusOf(out.registration_status_name()));
  // JSON numbers within the model's ranges (epoch seconds fit easily); a
  // value outside them is left unset rather than cast out of range.
  auto number = [&](char const* key) -> std::optional<double> {
    auto it = fields.find(key);
    if (it == fields.end() || !it->second.has_number_value()) return std::nullopt;
    double v = it->second.number_value();
    if (!std::isfinite(v) || v < -1e15 || v > 1e15) return std::nullopt;
    return v;
  };
  if (auto v = number("CurrentVersionNumber"))
    out.set_current_version_number(static_cast<int64_t>(*v));
  if (auto v = number("ApprovedVersionNumber"))
    out.set_approved_version_number(static_cast<int64_t>(*v));
  if (auto v = number("LatestDeniedVersionNumber")) {
    out.set_latest_denied_version_number(static_cast<int64_t>(*v));
  }
  if (auto v = number("CreatedTimestamp")) {
    *out.mutable_create_time() = EpochSecondsToTimestamp(*v);
  }
  if (auto it = fields.find("AdditionalAttributes"); it != fields.end()) {
    for (auto const& [key, value] : it->second.struct_value().fields()) {
      (*out.mutable_additional_attributes())[key] = value.string_value();
    }
  }
  if (out.registration_id().empty() || out.registration_status_name().empty()) {
    return adapters::errors::MalformedResponse(
        Errors(), "the DeleteRegistration result lacks required members");
  }
  return out;
}

absl::Status DeleteRegistration::Preflight() const { return credentials_.Ready(); }

void DeleteRegistration::Start(adapters::operation::CallContext const& context,
                               v1::DeleteRegistrationRequest const& request,
                               adapters::operation::Callback<v1::DeleteRegistrationResponse> done) {
  // The credentials may come from a refresh (STS, instance metadata); the
  // request is signed once they are here.
  credentials_.Get(
      context.deadline, context.cancellation,
      [this, context, registration_id = request.sms_voice().registration_id(),
       done = std::move(done)](absl::StatusOr<adapters::auth::AwsCredentials> credentials) mutable {
        if (!credentials.ok()) return std::move(done)(credentials.status());
        Send(context, registration_id, *credentials, std::move(done));
      });
}

void DeleteRegistration::Send(adapters::operation::CallContext const& context,
                              std::string const& registration_id,
                              adapters::auth::AwsCredentials const& credentials,
                              adapters::operation::Callback<v1::DeleteRegistrationResponse> done) {
  google::protobuf::Struct body;
  (*body.mutable_fields())["RegistrationId"].set_string_value(registration_id);
  adapters::transport::HttpRequest http;
  http.method = "POST";
  // An endpoint override may end in "/"; the request line stays "POST /".
  http.url = absl::StrCat(absl::StripSuffix(endpoint_, "/"), "/");
  http.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                  {"X-Amz-Target", "PinpointSMSVoiceV2.DeleteRegistration"}};
  (void)google::protobuf::util::MessageToJsonString(body, &http.body);
  http.deadline = context.deadline;
  http.trace = context.trace;
  if (absl::Status signed_ok =
          adapters::auth::SignSigV4(http, {region_, "sms-voice"}, credentials, absl::Now());
      !signed_ok.ok()) {
    return std::move(done)(signed_ok);
  }
  transport_.Send(
      std::move(http), context.cancellation,
      [this, access_key_id = credentials.access_key_id,
       done = std::move(done)](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        if (response->status != 200) {
          absl::Status error = SmsVoiceError(*response);
          // Expired or revoked before their time: fetch anew.
          if (error.code() == absl::StatusCode::kUnauthenticated) {
            credentials_.Invalidate(access_key_id);
          }
          return std::move(done)(error);
        }
        auto registration = ParseRegistration(response->body);
        if (!registration.ok()) return std::move(done)(registration.status());
        registration->set_upstream_request_id(adapters::errors::SafeText(
            response->Header("x-amzn-requestid"), adapters::errors::kMaxUpstreamIdBytes));
        v1::DeleteRegistrationResponse result;
        *result.mutable_sms_voice() = *std::move(registration);
        std::move(done)(std::move(result));
      });
}

std::optional<absl::StatusOr<v1::DeleteRegistrationResponse>> DeleteRegistration::AlreadyDone(
    absl::Status const& status) {
  if (status.code() != absl::StatusCode::kNotFound) return std::nullopt;
  v1::DeleteRegistrationResponse response;
  response.set_already_deleted(true);
  response.mutable_sms_voice();
  return response;
}

}  // namespace linkgateway::adapters::sms_voice
