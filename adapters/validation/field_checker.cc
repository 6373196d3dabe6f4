#include "adapters/validation/field_checker.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::adapters::validation {
namespace {

// Characters, not bytes: protobuf has already checked the string is UTF-8.
std::size_t CharacterCount(absl::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Control characters in the Unicode sense: C0, DEL and C1 (category Cc,
// U+0085 among them), and the line and paragraph separators U+2028/U+2029.
// `s` is valid UTF-8 (protobuf checked it), so sequences decode by length.
bool HasControlCharacter(absl::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char lead = b(0);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (i + length > s.size()) return true;  // not UTF-8 after all: refuse
    std::uint32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (b(k) & 0x3F);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) return true;
    i += length;
  }
  return false;
}

}  // namespace

void FieldChecker::Fail(absl::string_view field, std::string rule) {
  violations_.push_back({absl::StrCat(prefix_, field), std::move(rule)});
}

void FieldChecker::Token(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Fail(field, "is required");
  if (value.size() > 2048) return Fail(field, "must be at most 2048 characters");
  for (unsigned char c : value) {
    if (c <= 0x20 || c >= 0x7F) {
      return Fail(field, "must be printable ASCII without spaces");
    }
  }
}

void FieldChecker::PathSegment(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Fail(field, "is required");
  if (CharacterCount(value) > 256) return Fail(field, "must be at most 256 characters");
  if (HasControlCharacter(value)) return Fail(field, "must not contain control characters");
  if (value == "." || value == "..") return Fail(field, "must not be \".\" or \"..\"");
}

void FieldChecker::Pattern(absl::string_view field, absl::string_view value, std::size_t max,
                           absl::string_view extra_allowed, absl::string_view pattern) {
  if (value.empty()) return Fail(field, "is required");
  bool ok = value.size() <= max;
  for (char c : value) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                extra_allowed.find(c) != absl::string_view::npos);
  }
  if (!ok) Fail(field, absl::StrCat("must be 1-", max, " characters matching ", pattern));
}

void FieldChecker::Empty(absl::string_view field, absl::string_view value,
                         absl::string_view why) {
  if (!value.empty()) Fail(field, absl::StrCat("must be empty ", why));
}

absl::Status FieldChecker::Result(google::protobuf::Message const& request) const {
  if (violations_.empty()) return absl::OkStatus();
  return adapters::errors::InvalidArgument(request.GetDescriptor()->name(), violations_);
}

}  // namespace linkgateway::adapters::validation
