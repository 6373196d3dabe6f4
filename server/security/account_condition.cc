#include "server/security/account_condition.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/security/principal.h"

namespace linkgateway::server::security {

absl::StatusOr<AccountCondition> AccountCondition::Parse(google::protobuf::Struct const& request,
                                                         std::string const& where) {
  AccountCondition condition;
  auto it = request.fields().find(kKey);
  if (it == request.fields().end()) return condition;
  std::string const at = absl::StrCat(where, ".", kKey);
  if (!it->second.has_list_value()) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": must be a list"));
  }
  for (auto const& item : it->second.list_value().values()) {
    if (!item.has_string_value() || item.string_value().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": every entry must be a non-empty string"));
    }
    absl::string_view pattern = item.string_value();
    absl::Status valid = CheckPattern(pattern);
    if (valid.ok() && std::count(pattern.begin(), pattern.end(), '/') > 1) {
      valid = absl::InvalidArgumentError(
          absl::StrCat("\"", pattern,
                       "\" cannot be matched: an account is \"<account>\" or "
                       "\"<provider>/<account>\""));
    }
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, "[", condition.patterns_.size(), "]: ", valid.message()));
    }
    condition.patterns_.emplace_back(pattern);
  }
  if (condition.patterns_.empty()) {
    // An empty list would read as "no condition": a typo would widen the rule.
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": must name at least one account (leave the key out for any)"));
  }
  return condition;
}

bool AccountCondition::Matches(absl::string_view provider, absl::string_view account) const {
  if (patterns_.empty()) return true;
  if (account.empty()) return false;
  std::string const qualified = absl::StrCat(provider, "/", account);
  for (auto const& pattern : patterns_) {
    bool qualifies = absl::StrContains(pattern, '/');
    if (MatchesPattern(pattern, qualifies ? absl::string_view(qualified) : account)) return true;
  }
  return false;
}

}  // namespace linkgateway::server::security
