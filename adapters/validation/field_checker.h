// Field rules shared by the providers' request validation (each provider's
// validation.cc states which rule applies to which of its fields). Violations
// name the field path; values of secret fields never appear in them.
#ifndef LINKGATEWAY_ADAPTERS_VALIDATION_FIELD_CHECKER_H_
#define LINKGATEWAY_ADAPTERS_VALIDATION_FIELD_CHECKER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "adapters/errors/status_details.h"
#include "google/protobuf/message.h"

namespace linkgateway::adapters::validation {

// Collects the violations of one request.
class FieldChecker {
 public:
  // `prefix` is the path of the provider's key in the request, e.g.
  // "sms_voice." for DeleteRegistrationRequest.sms_voice.
  explicit FieldChecker(std::string prefix) : prefix_(std::move(prefix)) {}

  void Fail(absl::string_view field, std::string rule);

  // A bearer token: sent in a header, so nothing that could break it.
  void Token(absl::string_view field, absl::string_view value);
  // A value that becomes one URL path segment (percent-encoded).
  void PathSegment(absl::string_view field, absl::string_view value);
  // 1..max characters, each alphanumeric or one of `extra_allowed`
  // (described as `pattern` in the error).
  void Pattern(absl::string_view field, absl::string_view value, std::size_t max,
               absl::string_view extra_allowed, absl::string_view pattern);
  // A field that must stay empty, e.g. for another API version.
  void Empty(absl::string_view field, absl::string_view value, absl::string_view why);

  // OK, or INVALID_ARGUMENT for `request` naming every violation.
  absl::Status Result(google::protobuf::Message const& request) const;

  std::vector<adapters::errors::FieldViolation> const& violations() const { return violations_; }

 private:
  std::string prefix_;
  std::vector<adapters::errors::FieldViolation> violations_;
};

}  // namespace linkgateway::adapters::validation

#endif  // LINKGATEWAY_ADAPTERS_VALIDATION_FIELD_CHECKER_H_
