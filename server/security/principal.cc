#include "server/security/principal.h"

#include <algorithm>
#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::server::security {
namespace {

constexpr std::array<absl::string_view, 4> kTypes = {kSpiffePrefix, kDnsPrefix, kCommonNamePrefix,
                                                     kTokenPrefix};

// The type prefix `text` starts with, or "".
absl::string_view TypeOf(absl::string_view text) {
  for (absl::string_view type : kTypes) {
    if (absl::StartsWith(text, type)) return type;
  }
  return "";
}

}  // namespace

absl::Status CheckPattern(absl::string_view pattern) {
  if (pattern.empty()) return absl::InvalidArgumentError("a pattern must not be empty");
  auto stars = std::count(pattern.begin(), pattern.end(), '*');
  bool ok = stars == 0 || pattern == "*" ||
            (stars == 1 && (pattern.front() == '*' || pattern.back() == '*'));
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", pattern,
                   "\" cannot be matched: a \"*\" may only stand alone (\"*\"), end a pattern "
                   "(\"prefix*\") or start it (\"*suffix\")"));
}

bool MatchesPattern(absl::string_view pattern, absl::string_view value) {
  if (pattern == "*") return !value.empty();
  if (pattern.size() > 1 && absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  if (pattern.size() > 1 && absl::StartsWith(pattern, "*")) {
    return absl::EndsWith(value, pattern.substr(1));
  }
  return pattern == value;
}

absl::Status CheckPrincipalPattern(absl::string_view pattern) {
  if (pattern == "*") return absl::OkStatus();
  absl::string_view type = TypeOf(pattern);
  if (type.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", pattern, "\" is not a principal: write \"token:", pattern, "\", \"cn:", pattern,
        "\" or \"dns:", pattern,
        "\" (how the caller proves it is part of its identity; certificates' SPIFFE ids are "
        "\"spiffe://...\")"));
  }
  absl::string_view rest = pattern.substr(type.size());
  if (rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", pattern, "\" names no principal: write \"", type, "*\" for any"));
  }
  return CheckPattern(rest);
}

bool MatchesPrincipal(absl::string_view pattern, absl::string_view principal) {
  if (principal.empty()) return false;  // anonymous callers match no principal pattern
  if (pattern == "*") return true;
  absl::string_view type = TypeOf(pattern);
  if (type.empty() || TypeOf(principal) != type) return false;
  return MatchesPattern(pattern.substr(type.size()), principal.substr(type.size()));
}

}  // namespace linkgateway::server::security
