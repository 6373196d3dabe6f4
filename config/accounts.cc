#include "config/accounts.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace linkgateway::config {

bool IsAccountName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxAccountNameBytes) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    bool alnum = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

std::string DefaultAccountOf(AccountSection const& section) {
  if (!section.default_name.empty()) return section.default_name;
  if (section.top_level) return kDefaultAccountName;
  if (section.names.size() == 1) return section.names.front();
  return "";
}

void CheckAccounts(AccountSection const& section, Checker& check) {
  // Where each name is defined.
  std::map<std::string, std::string> defined;
  if (section.top_level) defined[kDefaultAccountName] = "the section's top-level fields";
  for (std::size_t i = 0; i < section.names.size(); ++i) {
    std::string const& name = section.names[i];
    std::string key = absl::StrCat(section.list_key, "[", i, "].name");
    if (!IsAccountName(name)) {
      check.Fail(key, absl::StrCat("\"", absl::CHexEscape(name), "\" ", kAccountNameRule));
      continue;
    }
    auto [it, added] = defined.emplace(name, key);
    if (!added) {
      check.Fail(key, absl::StrCat("\"", name, "\" is already the name of ", it->second,
                                   "; each account needs its own"));
    }
  }
  std::vector<std::string> names;
  for (auto const& [name, where] : defined) names.push_back(name);
  if (!section.default_name.empty()) {
    if (defined.count(section.default_name) == 0) {
      check.Fail(section.default_key,
                 absl::StrCat("\"", absl::CHexEscape(section.default_name),
                              "\" is not an account; accounts: ",
                              names.empty() ? "none" : absl::StrJoin(names, ", ")));
    }
  } else if (DefaultAccountOf(section).empty() && names.size() > 1) {
    check.Fail(section.default_key, absl::StrCat("is required with several accounts; one of: ",
                                                 absl::StrJoin(names, ", ")));
  }
}

}  // namespace linkgateway::config
