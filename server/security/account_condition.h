// The gateway's account condition in an authorization policy rule:
// "request": {"accounts": [...]} confines the rule to the provider accounts
// it names (docs/accounts.md), so a policy can let a service delete in one
// AWS account and not in another. A pattern without "/" is matched against
// the account's name ("eu-west", "prod-*"); one with "/" against
// "<provider>/<account>" ("sms_voice/eu-west", "imiconnect/*"). A request
// for no account (a provider without accounts, a job method) matches no
// pattern; the default account is matched by its name ("default" for the
// one a provider section's top-level fields describe).
#ifndef LINKGATEWAY_SERVER_SECURITY_ACCOUNT_CONDITION_H_
#define LINKGATEWAY_SERVER_SECURITY_ACCOUNT_CONDITION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace linkgateway::server::security {

class AccountCondition {
 public:
  // The policy key it reads, in a rule's "request" object.
  static constexpr char kKey[] = "accounts";

  // From a rule's "request" object (`where` names it in errors); an absent
  // key is no condition.
  static absl::StatusOr<AccountCondition> Parse(google::protobuf::Struct const& request,
                                                std::string const& where);

  // Whether a call for `provider`'s `account` satisfies it (always, when
  // the rule names no accounts).
  bool Matches(absl::string_view provider, absl::string_view account) const;

 private:
  std::vector<std::string> patterns_;
};

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_ACCOUNT_CONDITION_H_
