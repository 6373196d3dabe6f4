// The composition root over the real provider factories: the whole
// configuration's defaults and checks, and building the registry.
#include "server/composition_root/composition_root.h"

#include <cstdlib>
#include <string>

#include "adapters/provider/provider_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::server::composition_root {
namespace {

using ::testing::HasSubstr;

config::GatewayConfig Parsed(std::string const& text) {
  auto config = config::ParseConfig(text, "test.textproto");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : config::GatewayConfig();
}

TEST(CompositionRootTest, EveryProviderIsRegisteredOnce) {
  std::vector<std::string> names;
  for (auto const* factory : adapters::provider::ProviderFactories()) {
    names.emplace_back(factory->name());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("dash_replenishment", "imiconnect", "selling_partner",
                                            "sms_voice"));
}

TEST(CompositionRootTest, TransportSecurityMustBeChosen) {
  config::GatewayConfig config;
  EXPECT_THAT(PrepareConfig(config).message(),
              HasSubstr("security: configure tls, or set plaintext: true"));
  config = Parsed(R"(listen_address: "0.0.0.0:50051" security { plaintext: true })");
  absl::Status status = PrepareConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("also needs allow_plaintext_off_loopback"));
  EXPECT_THAT(status.message(), HasSubstr("must authenticate"));
}

TEST(CompositionRootTest, MinimalConfigurationGetsEveryDefaultAndIsValid) {
  config::GatewayConfig config = Parsed("security { plaintext: true }");
  ASSERT_TRUE(PrepareConfig(config).ok()) << PrepareConfig(config);
  EXPECT_EQ(config.listen_address(), "127.0.0.1:50051");
  // Each provider filled its own section.
  EXPECT_EQ(config.dash_replenishment().endpoint(),
            "https://dash-replenishment-service-na.amazon.com");
  EXPECT_EQ(config.login_with_amazon().token_endpoint(), "https://api.amazon.com/auth/o2/token");
  EXPECT_EQ(config.selling_partner().delete_subscription_rate_limit().burst(), 5);
  EXPECT_EQ(config.sms_voice().endpoint(), "https://sms-voice.us-east-1.amazonaws.com");
}

TEST(CompositionRootTest, ProblemsFromEveryLayerAreNamedTogether) {
  config::GatewayConfig config = Parsed(R"(
    listen_address: "nowhere"
    selling_partner { far_east_endpoint: "ftp://x" }
    dash_replenishment { endpoint: "http://127.0.0.1:8080" }
  )");
  absl::Status status = PrepareConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("listen_address"));
  EXPECT_THAT(status.message(), HasSubstr("selling_partner.far_east_endpoint"));
  EXPECT_THAT(status.message(), HasSubstr("dash_replenishment.endpoint"));
  EXPECT_THAT(status.message(), HasSubstr("allow_plain_http"));
}

TEST(CompositionRootTest, RetryPolicyKeysAreTheProvidersOperations) {
  config::GatewayConfig config = Parsed(R"(
    security { plaintext: true }
    retry_policies { key: "selling_partner.DeleteSubscription" value { max_attempts: 5 } }
  )");
  EXPECT_TRUE(PrepareConfig(config).ok()) << PrepareConfig(config);

  config = Parsed(R"(
    retry_policies { key: "selling_partner.DeleteSubscriptions" value {} }
    retry_policies { key: "sms_voice.DeleteRegistration" value { max_attempts: -1 } }
  )");
  absl::Status status = PrepareConfig(config);
  EXPECT_THAT(status.message(),
              HasSubstr("retry_policies[\"selling_partner.DeleteSubscriptions\"]: unknown "
                        "operation; known: dash_replenishment.DeleteRegistration, "
                        "dash_replenishment.GetSubscriptionInfo, imiconnect.DeleteAppProfile, "
                        "imiconnect.GetProfileTransaction, selling_partner.DeleteSubscription, "
                        "sms_voice.DeleteRegistration"));
  EXPECT_THAT(status.message(),
              HasSubstr("retry_policies[\"sms_voice.DeleteRegistration\"].max_attempts"));
}

TEST(CompositionRootTest, MissingSecretFailsAtStartupWithoutItsValue) {
  setenv("LINKGATEWAY_TEST_SET_VARIABLE", "hunter2", 1);
  config::GatewayConfig config = Parsed(R"(
    imiconnect { base_url: "https://api.imiconnect.io"
                 profile_key { env: "LINKGATEWAY_TEST_UNSET_VARIABLE" } }
    login_with_amazon { client_id { env: "LINKGATEWAY_TEST_SET_VARIABLE" } }
  )");
  absl::Status status = PrepareConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("imiconnect.profile_key"));
  EXPECT_THAT(status.message(), HasSubstr("LINKGATEWAY_TEST_UNSET_VARIABLE"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(CompositionRootTest, ExampleFileParsesAndValidates) {
  auto config = config::LoadConfigFile("config/gateway.example.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status status = PrepareConfig(*config);
  EXPECT_EQ(config->sms_voice().endpoint(), "https://sms-voice.eu-west-1.amazonaws.com");
  // Its secrets point at the environment and files of a real deployment.
  EXPECT_THAT(status.message(), HasSubstr("LWA_CLIENT_ID"));
}

TEST(CompositionRootTest, BuildsARegistryWithEveryOperation) {
  config::GatewayConfig config = Parsed("security { plaintext: true }");
  ASSERT_TRUE(PrepareConfig(config).ok());
  observability::metrics::GatewayMetrics metrics;
  auto providers = Providers::Create(config, metrics);
  ASSERT_TRUE(providers.ok()) << providers.status();
  auto const& registry = (*providers)->registry();
  EXPECT_NE(registry.table<v1::DeleteRegistrationRequest>().Find(
                v1::DeleteRegistrationRequest::kSmsVoice),
            nullptr);
  EXPECT_NE(registry.table<v1::DeleteRegistrationRequest>().Find(
                v1::DeleteRegistrationRequest::kDashReplenishment),
            nullptr);
  EXPECT_NE(registry.table<v1::GetSubscriptionInfoRequest>().Find(
                v1::GetSubscriptionInfoRequest::kDashReplenishment),
            nullptr);
  EXPECT_NE(registry.table<v1::DeleteSubscriptionRequest>().Find(
                v1::DeleteSubscriptionRequest::kSellingPartner),
            nullptr);
  EXPECT_NE(
      registry.table<v1::DeleteAppProfileRequest>().Find(v1::DeleteAppProfileRequest::kImiconnect),
      nullptr);
  EXPECT_NE(registry.table<v1::GetProfileTransactionRequest>().Find(
                v1::GetProfileTransactionRequest::kImiconnect),
            nullptr);
}

}  // namespace
}  // namespace linkgateway::server::composition_root
