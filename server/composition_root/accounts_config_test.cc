// Named provider accounts in the configuration (docs/accounts.md), checked
// by the real provider factories: each case a configuration and the
// problems it must be refused with (each naming its key), or none; then the
// registry they build, one operation per account. And the configurations
// and the policy docs/accounts.md and docs/aws-credentials.md show.
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "adapters/policies/rate_limiter.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/provider/provider_factory.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/composition_root/composition_root.h"
#include "server/composition_root/provider_metrics.h"
#include "server/security/authorization_policy.h"

namespace linkgateway::server::composition_root {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

config::GatewayConfig Parsed(std::string const& text) {
  auto config = config::ParseConfig(text, "test.textproto");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : config::GatewayConfig();
}

struct Case {
  std::string name;
  std::string config;
  // Each must appear in the error; none: the configuration is valid.
  std::vector<std::string> problems;
};

void PrintTo(Case const& c, std::ostream* os) { *os << c.name; }

class AccountsConfigTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    setenv("LG_TEST_KEY_A", "key-a", 1);
    setenv("LG_TEST_KEY_B", "key-b", 1);
  }
};

TEST_P(AccountsConfigTest, ProblemsNameTheirKeys) {
  Case const& c = GetParam();
  config::GatewayConfig config = Parsed("security { plaintext: true }\n" + c.config);
  absl::Status status = PrepareConfig(config);
  if (c.problems.empty()) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::string const message(status.message());
  for (auto const& problem : c.problems) EXPECT_THAT(message, HasSubstr(problem));
  // Secrets are named by where they are, never by their values.
  EXPECT_THAT(message, Not(HasSubstr("key-a")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AccountsConfigTest,
    ::testing::ValuesIn(std::vector<Case>{
        {"NoAccountsIsToday", "", {}},
        {"TopLevelBesideNamed",
         R"(sms_voice { region: "us-east-1" accounts { name: "eu" region: "eu-west-2" } })",
         {}},
        {"OnlyNamedOneIsTheDefault", R"(sms_voice { accounts { name: "eu" } })", {}},
        {"SeveralNamedNeedADefault",
         R"(sms_voice { accounts { name: "eu" } accounts { name: "us" } })",
         {"sms_voice.default_account: is required with several accounts; one of: eu, us"}},
        {"SeveralNamedWithADefault",
         R"(sms_voice { accounts { name: "eu" } accounts { name: "us" } default_account: "us" })",
         {}},
        {"UnknownDefault",
         R"(sms_voice { accounts { name: "eu" } default_account: "ue" })",
         {"sms_voice.default_account: \"ue\" is not an account; accounts: eu"}},
        {"DuplicateNames",
         R"(sms_voice { default_account: "eu" accounts { name: "eu" } accounts { name: "eu" } })",
         {"sms_voice.accounts[1].name: \"eu\" is already the name of "
          "sms_voice.accounts[0].name"}},
        {"DefaultIsTakenByTheTopLevelAccount",
         R"(sms_voice { region: "us-east-1" accounts { name: "default" } })",
         {"sms_voice.accounts[0].name: \"default\" is already the name of the section's "
          "top-level fields"}},
        {"BadNames",
         R"(sms_voice { default_account: "ok" accounts { name: "ok" } accounts { name: "EU" }
                        accounts { name: "-eu" } accounts { name: "" }
                        accounts { name: "a\nb" } })",
         {"sms_voice.accounts[1].name: \"EU\" must be 1 to 63 characters",
          "sms_voice.accounts[2].name", "sms_voice.accounts[3].name",
          "sms_voice.accounts[4].name: \"a\\nb\""}},
        {"NameTooLong",
         "sms_voice { accounts { name: \"" + std::string(64, 'a') + "\" } }",
         {"sms_voice.accounts[0].name"}},
        {"EachAccountsOwnFieldsAreChecked",
         R"(sms_voice { default_account: "eu"
              accounts { name: "eu" region: "eu west" endpoint: "ftp://x"
                         credentials { web_identity { token_file: "/t" } }
                         delete_registration_rate_limit { requests_per_second: -1 } } })",
         {"sms_voice.accounts[0].region: must be an AWS region name",
          "sms_voice.accounts[0].endpoint: must be an https:// URL",
          "sms_voice.accounts[0].credentials.web_identity.role_arn: is required",
          "sms_voice.accounts[0].delete_registration_rate_limit"}},
        {"ImiconnectTenants",
         R"(imiconnect { default_tenant: "emea"
              tenants { name: "emea" base_url: "https://emea.example" profile_key { env: "LG_TEST_KEY_A" } }
              tenants { name: "apac" base_url: "https://apac.example" profile_key { env: "LG_TEST_KEY_B" } } })",
         {}},
        {"ImiconnectTenantNeedsUrlAndKey",
         R"(imiconnect { tenants { name: "emea" } })",
         {"imiconnect.tenants[0].base_url: is required",
          "imiconnect.tenants[0].profile_key: is required"}},
        {"ImiconnectIncompleteTopLevelBesideTenants",
         R"(imiconnect { base_url: "https://api.example"
              tenants { name: "emea" base_url: "https://emea.example" profile_key { env: "LG_TEST_KEY_A" } } })",
         {"imiconnect.profile_key: is required"}},
        {"ImiconnectMissingSecretNamesItsTenant",
         R"(imiconnect { tenants { name: "emea" base_url: "https://emea.example"
                                   profile_key { env: "LG_TEST_UNSET_KEY" } } })",
         {"imiconnect.tenants[0].profile_key", "LG_TEST_UNSET_KEY"}},
        {"LwaApplications",
         R"(login_with_amazon { client_id { env: "LG_TEST_KEY_A" } client_secret { env: "LG_TEST_KEY_B" }
              applications { name: "eu-app" client_id { env: "LG_TEST_KEY_B" }
                             client_secret { env: "LG_TEST_KEY_A" } } })",
         {}},
        {"LwaApplicationNeedsItsClient",
         R"(login_with_amazon { applications { name: "eu-app" token_endpoint: "http://x" } })",
         {"login_with_amazon.applications[0].client_id: is required",
          "login_with_amazon.applications[0].client_secret: is required",
          "login_with_amazon.applications[0].token_endpoint"}},
        {"LwaUnknownDefault",
         R"(login_with_amazon { default_application: "nope"
              applications { name: "eu-app" client_id { env: "LG_TEST_KEY_B" }
                             client_secret { env: "LG_TEST_KEY_A" } } })",
         {"login_with_amazon.default_application: \"nope\" is not an account; accounts: eu-app"}},
    }),
    [](::testing::TestParamInfo<Case> const& info) { return info.param.name; });

TEST(AccountsRegistryTest, EachAccountHasItsOwnOperationAndOneIsTheDefault) {
  setenv("LG_TEST_KEY_A", "key-a", 1);
  config::GatewayConfig config = Parsed(R"(
    security { plaintext: true }
    sms_voice {
      default_account: "eu"
      accounts { name: "us" region: "us-east-1" }
      accounts { name: "eu" region: "eu-west-2" }
    }
    imiconnect {
      tenants { name: "emea" base_url: "https://emea.example" profile_key { env: "LG_TEST_KEY_A" } }
    }
  )");
  ASSERT_TRUE(PrepareConfig(config).ok()) << PrepareConfig(config);
  EXPECT_EQ(config.sms_voice().accounts(1).endpoint(), "https://sms-voice.eu-west-2.amazonaws.com");
  observability::metrics::GatewayMetrics metrics;
  auto providers = Providers::Create(config, metrics);
  ASSERT_TRUE(providers.ok()) << providers.status();
  auto const& registry = (*providers)->registry();
  auto const& sms = registry.table<v1::DeleteRegistrationRequest>();
  auto constexpr kSms = v1::DeleteRegistrationRequest::kSmsVoice;
  EXPECT_EQ(sms.DefaultAccount(kSms), "eu");
  ASSERT_NE(sms.Find(kSms, "us"), nullptr);
  ASSERT_NE(sms.Find(kSms, "eu"), nullptr);
  EXPECT_NE(sms.Find(kSms, "us")->operation, sms.Find(kSms, "eu")->operation);
  EXPECT_EQ(sms.Find(kSms, "")->operation, sms.Find(kSms, "eu")->operation);
  // Only the named accounts: no top-level "default" when accounts are listed
  // and no top-level field is set.
  EXPECT_EQ(sms.Find(kSms, "default"), nullptr);
  EXPECT_EQ(sms.Find(kSms, "nowhere"), nullptr);
  auto const& imi = registry.table<v1::GetProfileTransactionRequest>();
  EXPECT_EQ(imi.DefaultAccount(v1::GetProfileTransactionRequest::kImiconnect), "emea");
  EXPECT_NE(imi.Find(v1::GetProfileTransactionRequest::kImiconnect, "emea"), nullptr);
  // Providers without accounts keep their one operation.
  auto const& dash = registry.table<v1::GetSubscriptionInfoRequest>();
  EXPECT_EQ(dash.DefaultAccount(v1::GetSubscriptionInfoRequest::kDashReplenishment), "");
  EXPECT_NE(dash.Find(v1::GetSubscriptionInfoRequest::kDashReplenishment), nullptr);
  // Health: per provider and per account.
  auto readiness = adapters::operation::ProviderReadiness(registry);
  EXPECT_TRUE(readiness.count("sms_voice.eu"));
  EXPECT_TRUE(readiness.count("sms_voice.us"));
  // A provider's only account is the provider itself.
  EXPECT_FALSE(readiness.count("imiconnect.emea"));
  EXPECT_TRUE(readiness.count("imiconnect"));
}

// Where each rate limit is kept: "<operation> <scope>" (with shared state,
// the Redis key every replica uses is made of the two).
class RecordingLimits final : public adapters::provider::SharedLimits {
 public:
  explicit RecordingLimits(adapters::async::Scheduler& clock) : clock_(clock) {}
  std::shared_ptr<adapters::policies::RateLimiter> RateLimiterFor(
      adapters::operation::OperationId operation, std::string const& scope, double rate_per_second,
      int burst) override {
    keys.push_back(operation.key() + " " + scope);
    return std::make_shared<adapters::policies::LocalRateLimiter>(
        std::make_shared<adapters::policies::TokenBucket>(rate_per_second, burst, clock_));
  }
  adapters::auth::TokenCache* TokenCacheFor(std::string const&) override { return nullptr; }
  std::vector<std::string> keys;

 private:
  adapters::async::Scheduler& clock_;
};

// Each account's rate limit is its own, kept under the account's name (the
// default account under the key it had before accounts had names), so the
// replicas share one limit per account and no two accounts share one.
TEST(AccountsRegistryTest, EachAccountsRateLimitIsKeptUnderItsName) {
  setenv("LG_TEST_KEY_A", "key-a", 1);
  setenv("LG_TEST_KEY_B", "key-b", 1);
  config::GatewayConfig config = Parsed(R"(
    security { plaintext: true }
    sms_voice {
      region: "us-east-1"
      delete_registration_rate_limit { requests_per_second: 1 burst: 1 }
      accounts { name: "eu" region: "eu-west-2"
                 delete_registration_rate_limit { requests_per_second: 2 burst: 2 } }
    }
    imiconnect {
      default_tenant: "emea"
      tenants { name: "emea" base_url: "https://emea.example" profile_key { env: "LG_TEST_KEY_A" }
                delete_rate_limit { requests_per_second: 1 burst: 1 } }
      tenants { name: "apac" base_url: "https://apac.example" profile_key { env: "LG_TEST_KEY_B" }
                delete_rate_limit { requests_per_second: 1 burst: 1 } }
    }
    login_with_amazon {
      client_id { env: "LG_TEST_KEY_A" } client_secret { env: "LG_TEST_KEY_B" }
      applications { name: "eu-app" client_id { env: "LG_TEST_KEY_B" }
                     client_secret { env: "LG_TEST_KEY_A" } }
    }
  )");
  ASSERT_TRUE(PrepareConfig(config).ok()) << PrepareConfig(config);
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder(
      [](adapters::transport::HttpRequest const&) { return adapters::testing::Response(503, ""); });
  adapters::testing::ManualScheduler scheduler;
  observability::metrics::GatewayMetrics metrics;
  ProviderMetrics observer(metrics);
  RecordingLimits limits(scheduler);
  adapters::operation::ProviderRegistry registry;
  std::vector<std::shared_ptr<void>> resources;
  adapters::provider::ProviderContext context{config,    transport, scheduler, registry,
                                              resources, observer,  limits};
  for (auto const* factory : adapters::provider::ProviderFactories()) {
    ASSERT_TRUE(factory->Register(context).ok()) << factory->name();
  }
  EXPECT_THAT(limits.keys, ::testing::UnorderedElementsAre(
                               "sms_voice.DeleteRegistration us-east-1",
                               "sms_voice.DeleteRegistration eu/eu-west-2",
                               "imiconnect.DeleteAppProfile emea/https://emea.example",
                               "imiconnect.DeleteAppProfile apac/https://apac.example",
                               "selling_partner.DeleteSubscription key-a",
                               "selling_partner.DeleteSubscription eu-app/key-b"));
}

// The fenced blocks of `language` in a Markdown page, in order.
std::vector<std::string> Blocks(std::string const& page, std::string const& language) {
  std::ifstream in(page);
  EXPECT_TRUE(in) << page;
  std::vector<std::string> blocks;
  std::string line;
  std::string* block = nullptr;
  while (std::getline(in, line)) {
    if (block == nullptr) {
      if (line == "```" + language) block = &blocks.emplace_back();
    } else if (line == "```") {
      block = nullptr;
    } else {
      *block += line + "\n";
    }
  }
  return blocks;
}

// The configurations and the policy the account and AWS credential pages
// show are ones the gateway accepts.
TEST(AccountsDocsTest, TheConfigurationsAndPolicyThePagesShowAreValid) {
  for (auto const& [page, expected] : std::vector<std::pair<std::string, std::size_t>>{
           {"docs/accounts.md", 1}, {"docs/aws-credentials.md", 3}}) {
    auto const blocks = Blocks(page, "textproto");
    EXPECT_EQ(blocks.size(), expected) << page;
    for (auto const& text : blocks) {
      auto config = config::ParseConfig("security { plaintext: true }\n" + text, page);
      ASSERT_TRUE(config.ok()) << page << ": " << config.status() << "\n" << text;
      EXPECT_TRUE(PrepareConfig(*config).ok()) << page << ": " << PrepareConfig(*config) << "\n"
                                               << text;
    }
  }
  auto const policies = Blocks("docs/accounts.md", "json");
  ASSERT_EQ(policies.size(), 1u);
  auto policy = security::AuthorizationPolicy::Parse(policies[0]);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(
      policy
          ->Evaluate({"token:us-team", "/linkgateway.v1.RegistrationService/DeleteRegistration",
                      "sms_voice", "us"})
          .allowed);
  EXPECT_FALSE(
      policy
          ->Evaluate({"token:us-team", "/linkgateway.v1.RegistrationService/DeleteRegistration",
                      "sms_voice", "eu"})
          .allowed);
}

}  // namespace
}  // namespace linkgateway::server::composition_root
