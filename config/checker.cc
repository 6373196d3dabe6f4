#include "config/checker.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/config.h"
#include "config/secrets.h"

namespace linkgateway::config {

void Checker::Fail(absl::string_view key, absl::string_view rule) {
  errors_.push_back(absl::StrCat(key, ": ", rule));
}

void Checker::Url(absl::string_view key, absl::string_view url) {
  bool plain = absl::StartsWith(url, "http://");
  if (!absl::StartsWith(url, "https://") && !plain) {
    return Fail(key, "must be an https:// URL");
  }
  if (plain && !config_.upstream().allow_plain_http()) {
    Fail(key, "is plain http://; set upstream.allow_plain_http to allow it");
  }
}

void Checker::Positive(absl::string_view key, google::protobuf::Duration const& d) {
  if (ToDuration(d) <= absl::ZeroDuration()) Fail(key, "must be positive");
}

void Checker::RateLimit(absl::string_view key, v1::RateLimit const& limit) {
  if (limit.requests_per_second() <= 0 || limit.burst() <= 0) {
    Fail(key, "requests_per_second and burst must be positive");
  }
}

void Checker::NotNegative(absl::string_view key, google::protobuf::Duration const& d) {
  if (ToDuration(d) < absl::ZeroDuration()) Fail(key, "must not be negative");
}

void Checker::Secret(absl::string_view key, v1::SecretRef const& ref) {
  if (absl::Status s = ResolveSecret(ref, key).status(); !s.ok()) {
    errors_.push_back(std::string(s.message()));
  }
}

absl::Status Checker::Result() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration: ", absl::StrJoin(errors_, "; ")));
}

}  // namespace linkgateway::config
