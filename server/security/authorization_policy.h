// Authorization in gRPC's policy format (gRFC A43), evaluated by the gateway
// (Debian's gRPC does not ship the library that would): a JSON object with
// "name", "deny_rules" and "allow_rules"; each rule has a "name", and may have
// "source": {"principals": [...]} and "request": {"paths": [...]}. Deny rules
// are checked first; then allow rules; no match is a denial. Patterns: exact
// "abc", prefix "abc*", suffix "*abc", and "*" (any non-empty value); a "*"
// anywhere else is refused at load, since it would never match. Principals
// are typed (principal.h): "spiffe://...", "dns:...", "cn:...", "token:...",
// each with a pattern after its type, or "*" for any authenticated caller (an
// anonymous caller never matches a principal pattern); a bare name is refused
// at load with the typed forms it could mean.
//
// The gateway's extensions: "request": {"providers": [...]} names the
// providers (the request's target, e.g. "sms_voice") a rule covers, so a
// policy can let a service read Dash Replenishment subscription info but not
// delete SMS and Voice registrations; and "request": {"accounts": [...]}
// (account_condition.h). Unknown keys are errors.
#ifndef LINKGATEWAY_SERVER_SECURITY_AUTHORIZATION_POLICY_H_
#define LINKGATEWAY_SERVER_SECURITY_AUTHORIZATION_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/security/account_condition.h"
#include "server/security/principal.h"
#include "server/security/watched_file.h"

namespace linkgateway::server::security {

struct AuthorizationRequest {
  std::string principal;  // typed (principal.h); "" when anonymous
  std::string path;       // "/linkgateway.v1.RegistrationService/DeleteRegistration"
  std::string provider;   // the request's target, e.g. "sms_voice"; "" when none
  std::string account;    // the provider account, the default resolved; "" when none
};

struct AuthorizationDecision {
  bool allowed = false;
  std::string rule;  // the rule that decided; "" when nothing matched
};

class AuthorizationPolicy {
 public:
  // No rules: every call is denied (the policy in force while the policy
  // file cannot be used).
  AuthorizationPolicy() = default;

  // Parses the JSON policy; errors name the key at fault.
  static absl::StatusOr<AuthorizationPolicy> Parse(absl::string_view json);

  AuthorizationDecision Evaluate(AuthorizationRequest const& request) const;

  std::string const& name() const { return name_; }

 private:
  struct Rule {
    std::string name;
    std::vector<std::string> principals;  // empty: any caller
    std::vector<std::string> paths;       // empty: any method
    std::vector<std::string> providers;   // empty: any provider
    AccountCondition accounts;            // account_condition.h
  };
  static bool Matches(Rule const& rule, AuthorizationRequest const& request);

  std::string name_;
  std::vector<Rule> deny_;
  std::vector<Rule> allow_;
};

inline char const* UnusableMeaning(AuthorizationPolicy const*) { return "every call is denied"; }

using PolicyFile = WatchedFile<AuthorizationPolicy>;

// The policy file at `path`, failing closed (every call is denied) while it
// cannot be used, unless `options` keep its last good contents.
absl::StatusOr<std::unique_ptr<PolicyFile>> LoadPolicyFile(std::string const& path,
                                                           WatchedFileOptions options = {});

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_AUTHORIZATION_POLICY_H_
