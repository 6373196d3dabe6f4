// Named provider accounts (docs/accounts.md): what every provider section
// with accounts shares — the name rule, which account a request without one
// goes to, and the section's checks. The API's `account` fields follow the
// same name rule.
#ifndef LINKGATEWAY_CONFIG_ACCOUNTS_H_
#define LINKGATEWAY_CONFIG_ACCOUNTS_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "config/checker.h"

namespace linkgateway::config {

// The name of the account a section's top-level fields describe.
inline constexpr char kDefaultAccountName[] = "default";
inline constexpr std::size_t kMaxAccountNameBytes = 63;
inline constexpr char kAccountNameRule[] =
    "must be 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit";

// Whether `name` follows the rule: safe in logs, metric labels and Redis
// keys as it is.
bool IsAccountName(absl::string_view name);

// One provider section's accounts, as its checks see them.
struct AccountSection {
  // The repeated field, e.g. "sms_voice.accounts".
  std::string list_key;
  // The names in the list's order.
  std::vector<std::string> names;
  // The section's top-level fields describe the account "default".
  bool top_level = false;
  // The default's field, e.g. "sms_voice.default_account", and its value.
  std::string default_key;
  std::string default_name;
};

// The section of a repeated field of account messages (each with a name()).
template <typename Accounts>
AccountSection SectionOf(std::string list_key, Accounts const& accounts, bool top_level,
                         std::string default_key, std::string default_name) {
  AccountSection section{
      std::move(list_key), {}, top_level, std::move(default_key), std::move(default_name)};
  for (auto const& account : accounts) section.names.push_back(account.name());
  return section;
}

// The account a request without one goes to: the configured default when
// set; else "default" when the top-level account exists; else the only named
// account; else "" (none can be chosen).
std::string DefaultAccountOf(AccountSection const& section);

// Names follow the rule and are unique ("default" is taken when the
// top-level account exists); the default names an account, and is set when
// it cannot be chosen.
void CheckAccounts(AccountSection const& section, Checker& check);

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_ACCOUNTS_H_
