#include "server/security/authorization_policy.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
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
     "source": {"principals": ["token:ops-*", "dns:*.ops.example.org"]},
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
        Case{"OpsByPrefix", "token:ops-alice", kDelete, "sms_voice", true, "ops-everything"},
        Case{"OpsBySuffix", "dns:robot.ops.example.org", kDelete, "dash_replenishment", true,
             "ops-everything"},
        // The same names proven another way are other callers.
        Case{"CommonNameIsNotAToken", "cn:ops-alice", kDelete, "sms_voice", false, ""},
        Case{"CommonNameIsNotADnsName", "cn:robot.ops.example.org", kDelete, "sms_voice", false,
             ""},
        Case{"ATokenNamedLikeASpiffeIdIsNotOne", "token:spiffe://staging.example/deployer", kDelete,
             "sms_voice", false, ""},
        Case{"DenyWinsOverAllow", "spiffe://staging.example/deployer", kDelete, "sms_voice", false,
             "nobody-deletes-sms-from-staging"},
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

TEST(PatternTest, OnlyPatternsThatCanMatchAreAccepted) {
  for (char const* good : {"abc", "abc*", "*abc", "*", "/linkgateway.v1.*"}) {
    EXPECT_TRUE(CheckPattern(good).ok()) << good;
  }
  for (char const* bad : {"a*c", "*abc*", "**", "/linkgateway.v1.*/Delete*", ""}) {
    EXPECT_FALSE(CheckPattern(bad).ok()) << bad;
  }
}

TEST(PrincipalTest, TypedPatternsMatchOnlyTheirType) {
  EXPECT_TRUE(MatchesPrincipal("token:ops", "token:ops"));
  EXPECT_FALSE(MatchesPrincipal("token:ops", "cn:ops"));
  EXPECT_FALSE(MatchesPrincipal("token:ops", "dns:ops"));
  EXPECT_TRUE(MatchesPrincipal("spiffe://example.org/*", "spiffe://example.org/ops"));
  EXPECT_FALSE(MatchesPrincipal("spiffe://example.org/*", "cn:spiffe://example.org/ops"));
  EXPECT_TRUE(MatchesPrincipal("dns:*.example.org", "dns:a.example.org"));
  EXPECT_FALSE(MatchesPrincipal("dns:*.example.org", "cn:a.example.org"));
  EXPECT_TRUE(MatchesPrincipal("token:*", "token:x"));
  EXPECT_TRUE(MatchesPrincipal("*", "cn:x"));
  EXPECT_FALSE(MatchesPrincipal("*", ""));  // anonymous
}

TEST(PolicyParseTest, BarePrincipalsAreRefusedWithTheTypedForms) {
  auto policy = AuthorizationPolicy::Parse(
      R"({"name": "p", "allow_rules": [{"name": "r", "source": {"principals": ["tok-a"]}}]})");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "policy.allow_rules[0].source.principals[0]: \"tok-a\" is not a principal: write "
            "\"token:tok-a\", \"cn:tok-a\" or \"dns:tok-a\" (how the caller proves it is part "
            "of its identity; certificates' SPIFFE ids are \"spiffe://...\")");
  EXPECT_THAT(std::string(AuthorizationPolicy::Parse(
                              R"({"name": "p", "allow_rules": [{"name": "r", "source":
                                  {"principals": ["*.ops.example.org"]}}]})")
                              .status()
                              .message()),
              HasSubstr("write \"token:*.ops.example.org\""));
  EXPECT_FALSE(AuthorizationPolicy::Parse(
                   R"({"name": "p", "allow_rules": [{"name": "r", "source":
                       {"principals": ["token:"]}}]})")
                   .ok());
}

TEST(PolicyParseTest, ADenyRuleWithAStarInsideAPathIsRefused) {
  auto policy = AuthorizationPolicy::Parse(R"({"name": "p",
      "deny_rules": [{"name": "no-deletes", "request": {"paths": ["/linkgateway.v1.*/Delete*"]}}],
      "allow_rules": [{"name": "all"}]})");
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(std::string(policy.status().message()),
              HasSubstr("policy.deny_rules[0].request.paths[0]: \"/linkgateway.v1.*/Delete*\" "
                        "cannot be matched"));
}

TEST(PolicyParseTest, ADefaultPolicyDeniesEverything) {
  AuthorizationPolicy none;
  EXPECT_FALSE(none.Evaluate({"token:ops", kDelete, "sms_voice", "default"}).allowed);
}

TEST(PolicyFileTest, AnUnparsableOrMissingPolicyDeniesEveryCall) {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/policy";
  mkdir(dir.c_str(), 0700);
  std::string path = dir + "/policy.json";
  std::ofstream(path) << R"({"name": "p", "allow_rules": [{"name": "all"}]})";
  WatchedFileOptions options;
  options.check_interval = absl::ZeroDuration();
  auto file = LoadPolicyFile(path, options);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE((*file)->Get()->Evaluate({"token:ops", kDelete, "sms_voice", "default"}).allowed);
  // A bare principal written while running: the whole policy is refused.
  std::ofstream(path) << R"({"name": "p", "allow_rules": [{"name": "ops",
                            "source": {"principals": ["ops"]}}]})";
  EXPECT_FALSE((*file)->Get()->Evaluate({"token:ops", kDelete, "sms_voice", "default"}).allowed);
  EXPECT_THAT(std::string((*file)->health().message()), HasSubstr("is not a principal"));
  std::ofstream(path) << R"({"name": "p", "allow_rules": [{"name": "all"}]})";
  EXPECT_TRUE((*file)->Get()->Evaluate({"token:ops", kDelete, "sms_voice", "default"}).allowed);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_FALSE((*file)->Get()->Evaluate({"token:ops", kDelete, "sms_voice", "default"}).allowed);
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
