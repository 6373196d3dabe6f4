#include "server/validation.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "adapters/core/status_details.h"
#include "google/protobuf/descriptor.h"

namespace linkgateway::server {
namespace {

using core::FieldViolation;

// Characters, not bytes: protobuf has already checked the string is UTF-8.
std::size_t CharacterCount(absl::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool HasControlCharacter(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Collects the violations of one request.
class Checker {
 public:
  explicit Checker(std::string prefix) : prefix_(std::move(prefix)) {}

  void Fail(absl::string_view field, std::string rule) {
    violations_.push_back({absl::StrCat(prefix_, field), std::move(rule)});
  }

  // A bearer token: sent in a header, so nothing that could break it.
  void Token(absl::string_view field, absl::string_view value) {
    if (value.empty()) return Fail(field, "is required");
    if (value.size() > 2048) return Fail(field, "must be at most 2048 characters");
    for (unsigned char c : value) {
      if (c <= 0x20 || c >= 0x7F) {
        return Fail(field, "must be printable ASCII without spaces");
      }
    }
  }

  // A value that becomes one URL path segment (percent-encoded).
  void PathSegment(absl::string_view field, absl::string_view value) {
    if (value.empty()) return Fail(field, "is required");
    if (CharacterCount(value) > 256) return Fail(field, "must be at most 256 characters");
    if (HasControlCharacter(value)) return Fail(field, "must not contain control characters");
    if (value == "." || value == "..") return Fail(field, "must not be \".\" or \"..\"");
  }

  // 1..max characters, each one of `allowed` (described as `pattern`).
  void Pattern(absl::string_view field, absl::string_view value, std::size_t max,
               absl::string_view extra_allowed, absl::string_view pattern) {
    if (value.empty()) return Fail(field, "is required");
    bool ok = value.size() <= max;
    for (char c : value) {
      ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  extra_allowed.find(c) != absl::string_view::npos);
    }
    if (!ok) Fail(field, absl::StrCat("must be 1-", max, " characters matching ", pattern));
  }

  void Empty(absl::string_view field, absl::string_view value, absl::string_view why) {
    if (!value.empty()) Fail(field, absl::StrCat("must be empty ", why));
  }

  std::vector<FieldViolation> const& violations() const { return violations_; }

 private:
  std::string prefix_;
  std::vector<FieldViolation> violations_;
};

// The error for a request whose `target` oneof is unset.
absl::Status MissingTarget(google::protobuf::Descriptor const* descriptor) {
  std::vector<std::string> names;
  auto const* target = descriptor->FindOneofByName("target");
  for (int i = 0; i < target->field_count(); ++i) {
    names.push_back(target->field(i)->name());
  }
  return core::InvalidArgument(
      descriptor->name(),
      {{"target", absl::StrCat("exactly one of ", absl::StrJoin(names, ", "),
                               " must be set")}});
}

absl::Status Result(google::protobuf::Descriptor const* descriptor, Checker const& checker) {
  if (checker.violations().empty()) return absl::OkStatus();
  return core::InvalidArgument(descriptor->name(), checker.violations());
}

}  // namespace

absl::Status ValidateRequest(v1::DeleteRegistrationRequest const& request) {
  auto const* descriptor = request.GetDescriptor();
  switch (request.target_case()) {
    case v1::DeleteRegistrationRequest::kDashReplenishment: {
      auto const& device = request.dash_replenishment();
      Checker check("dash_replenishment.");
      check.Token("access_token", device.access_token());
      if (device.api_version() == v1::DASH_REPLENISHMENT_API_VERSION_1_0) {
        check.PathSegment("device_model_id", device.device_model_id());
        check.PathSegment("device_identifier", device.device_identifier());
      } else {
        check.Empty("device_model_id", device.device_model_id(),
                    "for API version 2.0 (the token identifies the device)");
        check.Empty("device_identifier", device.device_identifier(),
                    "for API version 2.0 (the token identifies the device)");
      }
      return Result(descriptor, check);
    }
    case v1::DeleteRegistrationRequest::kSmsVoice: {
      Checker check("sms_voice.");
      check.Pattern("registration_id", request.sms_voice().registration_id(), 256, "_:/-",
                    "[A-Za-z0-9_:/-]+");
      return Result(descriptor, check);
    }
    case v1::DeleteRegistrationRequest::TARGET_NOT_SET:
      break;
  }
  return MissingTarget(descriptor);
}

absl::Status ValidateRequest(v1::GetSubscriptionInfoRequest const& request) {
  auto const* descriptor = request.GetDescriptor();
  switch (request.target_case()) {
    case v1::GetSubscriptionInfoRequest::kDashReplenishment: {
      Checker check("dash_replenishment.");
      check.Token("access_token", request.dash_replenishment().access_token());
      return Result(descriptor, check);
    }
    case v1::GetSubscriptionInfoRequest::TARGET_NOT_SET:
      break;
  }
  return MissingTarget(descriptor);
}

absl::Status ValidateRequest(v1::DeleteSubscriptionRequest const& request) {
  auto const* descriptor = request.GetDescriptor();
  switch (request.target_case()) {
    case v1::DeleteSubscriptionRequest::kSellingPartner: {
      auto const& key = request.selling_partner();
      Checker check("selling_partner.");
      check.Pattern("notification_type", key.notification_type(), 128, "_", "[A-Za-z0-9_]+");
      check.PathSegment("subscription_id", key.subscription_id());
      return Result(descriptor, check);
    }
    case v1::DeleteSubscriptionRequest::TARGET_NOT_SET:
      break;
  }
  return MissingTarget(descriptor);
}

absl::Status ValidateRequest(v1::DeleteAppProfileRequest const& request) {
  auto const* descriptor = request.GetDescriptor();
  switch (request.target_case()) {
    case v1::DeleteAppProfileRequest::kImiconnect: {
      auto const& key = request.imiconnect();
      Checker check("imiconnect.");
      check.PathSegment("app_id", key.app_id());
      check.PathSegment("customer_id", key.customer_id());
      check.PathSegment("device_id", key.device_id());
      return Result(descriptor, check);
    }
    case v1::DeleteAppProfileRequest::TARGET_NOT_SET:
      break;
  }
  return MissingTarget(descriptor);
}

absl::Status ValidateRequest(v1::GetProfileTransactionRequest const& request) {
  auto const* descriptor = request.GetDescriptor();
  switch (request.target_case()) {
    case v1::GetProfileTransactionRequest::kImiconnect: {
      Checker check("imiconnect.");
      check.Pattern("transaction_id", request.imiconnect().transaction_id(), 128, "_-",
                    "[A-Za-z0-9_-]+");
      return Result(descriptor, check);
    }
    case v1::GetProfileTransactionRequest::TARGET_NOT_SET:
      break;
  }
  return MissingTarget(descriptor);
}

}  // namespace linkgateway::server
