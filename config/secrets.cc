#include "config/secrets.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::config {

absl::StatusOr<std::string> ResolveSecret(v1::SecretRef const& ref,
                                          absl::string_view key) {
  std::string value;
  switch (ref.source_case()) {
    case v1::SecretRef::kEnv: {
      char const* env = std::getenv(ref.env().c_str());
      if (env == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat(key, ": environment variable ", ref.env(), " is not set"));
      }
      value = env;
      break;
    }
    case v1::SecretRef::kFile: {
      std::ifstream in(ref.file());
      if (!in) {
        return absl::FailedPreconditionError(
            absl::StrCat(key, ": cannot read secret file ", ref.file()));
      }
      std::stringstream text;
      text << in.rdbuf();
      value = text.str();
      // Editors and `echo` add one; it is never part of a key.
      if (absl::EndsWith(value, "\n")) value.pop_back();
      if (absl::EndsWith(value, "\r")) value.pop_back();
      break;
    }
    case v1::SecretRef::SOURCE_NOT_SET:
      return absl::InvalidArgumentError(absl::StrCat(key, ": set env or file"));
  }
  if (value.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(key, ": the secret is empty"));
  }
  // Secrets travel in headers and forms: a blank one is dropped by libcurl
  // (every call would then fail upstream), a control character could split
  // a header. Refuse both at start-up.
  if (absl::StripAsciiWhitespace(value).empty()) {
    return absl::FailedPreconditionError(absl::StrCat(key, ": the secret is blank"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F) {
      return absl::FailedPreconditionError(
          absl::StrCat(key, ": the secret contains control characters"));
    }
  }
  return value;
}

}  // namespace linkgateway::config
