// The account condition of a policy rule: a caller confined to the accounts
// it is granted, bare names and provider-qualified patterns, the default
// account by its name, and mistakes named.
#include "server/security/account_condition.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/security/authorization_policy.h"

namespace linkgateway::server::security {
namespace {

using ::testing::HasSubstr;

constexpr char kDelete[] = "/linkgateway.v1.RegistrationService/DeleteRegistration";
constexpr char kStart[] = "/linkgateway.v1.UnlinkService/StartUnlink";

constexpr char kPolicy[] = R"({
  "name": "accounts",
  "deny_rules": [
    {"name": "nobody-touches-legacy", "request": {"accounts": ["legacy-*"]}}
  ],
  "allow_rules": [
    {"name": "eu-team-in-eu",
     "source": {"principals": ["token:eu-team"]},
     "request": {"paths": ["*/DeleteRegistration"], "providers": ["sms_voice"],
                 "accounts": ["eu-west"]}},
    {"name": "eu-team-starts-jobs",
     "source": {"principals": ["token:eu-team"]},
     "request": {"paths": ["/linkgateway.v1.UnlinkService/*"]}},
    {"name": "tenant-ops",
     "source": {"principals": ["token:tenant-ops"]},
     "request": {"accounts": ["imiconnect/*", "sms_voice/default"]}}
  ]
})";

struct Case {
  std::string name;
  std::string principal;
  std::string path;
  std::string provider;
  std::string account;
  bool allowed;
  std::string rule;
};

void PrintTo(Case const& c, std::ostream* os) { *os << c.name; }

class AccountPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(AccountPolicyTest, ConfinedToItsAccounts) {
  auto policy = AuthorizationPolicy::Parse(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  auto const& c = GetParam();
  auto decision = policy->Evaluate({c.principal, c.path, c.provider, c.account});
  EXPECT_EQ(decision.allowed, c.allowed);
  EXPECT_EQ(decision.rule, c.rule);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AccountPolicyTest,
    ::testing::Values(
        Case{"GrantedAccount", "token:eu-team", kDelete, "sms_voice", "eu-west", true,
             "eu-team-in-eu"},
        Case{"OtherAccount", "token:eu-team", kDelete, "sms_voice", "us-east", false, ""},
        Case{"DefaultAccountIsNotAWildcard", "token:eu-team", kDelete, "sms_voice", "default",
             false, ""},
        Case{"NoAccountMatchesNoAccountRule", "token:eu-team", kDelete, "dash_replenishment", "",
             false, ""},
        Case{"JobMethodNamesNoAccount", "token:eu-team", kStart, "", "", true,
             "eu-team-starts-jobs"},
        Case{"QualifiedWildcard", "token:tenant-ops", kDelete, "imiconnect", "apac", true,
             "tenant-ops"},
        Case{"QualifiedNameOtherProvider", "token:tenant-ops", kDelete, "selling_partner",
             "default", false, ""},
        Case{"QualifiedDefault", "token:tenant-ops", kDelete, "sms_voice", "default", true,
             "tenant-ops"},
        Case{"OtherCallerOnTheGrantedAccount", "token:tenant-ops", kDelete, "sms_voice", "eu-west",
             false, ""},
        Case{"SameNameOtherProof", "dns:eu-team", kDelete, "sms_voice", "eu-west", false, ""},
        Case{"AnonymousOnTheGrantedAccount", "", kDelete, "sms_voice", "eu-west", false, ""},
        Case{"DenyByAccount", "token:tenant-ops", kDelete, "imiconnect", "legacy-emea", false,
             "nobody-touches-legacy"}),
    [](auto const& info) { return info.param.name; });

TEST(AccountConditionTest, MistakesAreNamed) {
  struct Bad {
    std::string json;
    std::string error;
  };
  for (
      auto const& bad : {
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"accounts": "eu"}}]})",
              "policy.allow_rules[0].request.accounts: must be a list"},
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"accounts": [""]}}]})",
              "policy.allow_rules[0].request.accounts: every entry must be a non-empty string"},
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"accounts": []}}]})",
              "policy.allow_rules[0].request.accounts: must name at least one account"},
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"account": ["x"]}}]})",
              "unknown key \"account\""},
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"accounts": ["eu", "e*u"]}}]})",
              "policy.allow_rules[0].request.accounts[1]: \"e*u\" cannot be matched"},
          Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"accounts": ["a/b/c"]}}]})",
              "policy.allow_rules[0].request.accounts[0]: \"a/b/c\" cannot be matched"},
      }) {
    auto policy = AuthorizationPolicy::Parse(bad.json);
    ASSERT_FALSE(policy.ok()) << bad.json;
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(bad.error)) << bad.json;
  }
}

}  // namespace
}  // namespace linkgateway::server::security
