#include "server/security/authorization_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::server::security {
namespace {

using ::testing::HasSubstr;

constexpr char kDelete[] = "/linkgateway.v1.RegistrationService/DeleteRegistration";
constexpr char kInfo[] = "/linkgateway.v1.SubscriptionService/GetSubscriptionInfo";

constexpr char kPolicy[] = R"({
  "name": "linkgateway",
  "deny_rules": [
    {"name": "nobody-deletes-sms-from-staging",
     "source": {"principals": ["spiffe://staging.example/*"]},
     "request": {"providers": ["sms_voice"]}}
  ],
  "allow_rules": [
    {"name": "billing-reads-drs",
     "source": {"principals": ["spiffe://example.org/ns/billing/sa/billing"]},
     "request": {"paths": ["/linkgateway.v1.SubscriptionService/GetSubscriptionInfo"],
                 "providers": ["dash_replenishment"]}},
    {"name": "ops-everything",
     "source": {"principals": ["ops-*", "*.ops.example.org"]},
     "request": {"paths": ["/linkgateway.v1.*"]}},
    {"name": "any-staging-caller-deletes",
     "source": {"principals": ["spiffe://staging.example/*"]},
     "request": {"paths": ["*/DeleteRegistration"]}}
  ]
})";

struct Case {
  std::string name;
  std::string principal;
  std::string path;
  std::string provider;
  bool allowed;
  std::string rule;
};

class PolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyTest, DenyFirstThenAllowThenDefaultDeny) {
  auto policy = AuthorizationPolicy::Parse(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  auto const& c = GetParam();
  auto decision = policy->Evaluate({c.principal, c.path, c.provider, ""});
  EXPECT_EQ(decision.allowed, c.allowed);
  EXPECT_EQ(decision.rule, c.rule);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PolicyTest,
    ::testing::Values(
        Case{"BillingReadsDrs", "spiffe://example.org/ns/billing/sa/billing", kInfo,
             "dash_replenishment", true, "billing-reads-drs"},
        Case{"BillingMayNotDelete", "spiffe://example.org/ns/billing/sa/billing", kDelete,
             "sms_voice", false, ""},
        Case{"OpsByPrefix", "ops-alice", kDelete, "sms_voice", true, "ops-everything"},
        Case{"OpsBySuffix", "robot.ops.example.org", kDelete, "dash_replenishment", true,
             "ops-everything"},
        Case{"DenyWinsOverAllow", "spiffe://staging.example/deployer", kDelete, "sms_voice",
             false, "nobody-deletes-sms-from-staging"},
        Case{"SameCallerOtherProvider", "spiffe://staging.example/deployer", kDelete,
             "dash_replenishment", true, "any-staging-caller-deletes"},
        Case{"AnonymousMatchesNoPrincipal", "", kInfo, "dash_replenishment", false, ""},
        Case{"UnknownCaller", "spiffe://elsewhere/x", kInfo, "dash_replenishment", false, ""}),
    [](auto const& info) { return info.param.name; });

TEST(PatternTest, A43Matchers) {
  EXPECT_TRUE(MatchesPattern("abc", "abc"));
  EXPECT_FALSE(MatchesPattern("abc", "abcd"));
  EXPECT_TRUE(MatchesPattern("abc*", "abcd"));
  EXPECT_TRUE(MatchesPattern("abc*", "abc"));
  EXPECT_TRUE(MatchesPattern("*bcd", "abcd"));
  EXPECT_TRUE(MatchesPattern("*", "x"));
  EXPECT_FALSE(MatchesPattern("*", ""));
}

TEST(PolicyParseTest, EmptyRuleMatchesEveryone) {
  auto policy = AuthorizationPolicy::Parse(R"({"name": "p", "allow_rules": [{"name": "all"}]})");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(policy->Evaluate({"", kDelete, "sms_voice", ""}).allowed);
}

TEST(PolicyParseTest, MistakesAreNamed) {
  struct Bad {
    std::string json;
    std::string error;
  };
  for (auto const& bad : {
           Bad{"[]", "not a JSON object"},
           Bad{R"({"allow_rules": []})", "policy.name: is required"},
           Bad{R"({"name": "p"})", "policy.allow_rules: is required"},
           Bad{R"({"name": "p", "allow_rules": [{"name": "r", "source": {"principal": []}}]})",
               "policy.allow_rules[0].source: unknown key \"principal\""},
           Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"headers": []}}]})",
               "unknown key \"headers\""},
           Bad{R"({"name": "p", "allow_rules": [{"source": {}}]})",
               "policy.allow_rules[0].name: is required"},
           Bad{R"({"name": "p", "allow_rules": [{"name": "r", "request": {"paths": [""]}}]})",
               "every entry must be a non-empty string"},
       }) {
    auto policy = AuthorizationPolicy::Parse(bad.json);
    ASSERT_FALSE(policy.ok()) << bad.json;
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(bad.error)) << bad.json;
  }
}

}  // namespace
}  // namespace linkgateway::server::security
