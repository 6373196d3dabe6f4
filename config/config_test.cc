#include "config/config.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "config/secrets.h"

namespace linkgateway::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

GatewayConfig ParsedWithDefaults(std::string const& text) {
  auto config = ParseConfig(text, "test.textproto");
  EXPECT_TRUE(config.ok()) << config.status();
  GatewayConfig result = config.ok() ? *config : GatewayConfig();
  ApplyDefaults(result);
  return result;
}

std::string WriteTempFile(std::string const& name, std::string const& contents) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(ConfigTest, UnknownKeyIsNamedWithItsPosition) {
  auto config = ParseConfig("listen_address: \"127.0.0.1:1\"\nlisten_adress: \"x\"\n",
                            "gateway.textproto");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("gateway.textproto:2:"));
  EXPECT_THAT(config.status().message(), HasSubstr("\"listen_adress\""));
}

TEST(ConfigTest, NestedUnknownKeyIsNamed) {
  auto config = ParseConfig("imiconnect { key: \"inline-secret\" }", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("ImiconnectConfig"));
  EXPECT_THAT(config.status().message(), HasSubstr("\"key\""));
}

TEST(ConfigTest, DefaultsAreTheVendorsDocumentedValues) {
  GatewayConfig config = ParsedWithDefaults("");
  EXPECT_EQ(config.listen_address(), "127.0.0.1:50051");
  EXPECT_EQ(config.dash_replenishment().endpoint(),
            "https://dash-replenishment-service-na.amazon.com");
  EXPECT_EQ(config.login_with_amazon().token_endpoint(), "https://api.amazon.com/auth/o2/token");
  EXPECT_EQ(config.selling_partner().europe_endpoint(), "https://sellingpartnerapi-eu.amazon.com");
  EXPECT_EQ(config.selling_partner().delete_subscription_rate_limit().burst(), 5);
  EXPECT_EQ(config.selling_partner().delete_subscription_rate_limit().requests_per_second(), 1.0);
  EXPECT_EQ(config.sms_voice().endpoint(), "https://sms-voice.us-east-1.amazonaws.com");
  EXPECT_TRUE(config.sms_voice().credentials().from_environment());
  EXPECT_EQ(ToDuration(config.default_deadline()), absl::Seconds(30));
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
}

TEST(ConfigTest, SmsVoiceEndpointFollowsTheRegion) {
  GatewayConfig config = ParsedWithDefaults("sms_voice { region: \"eu-west-1\" }");
  EXPECT_EQ(config.sms_voice().endpoint(), "https://sms-voice.eu-west-1.amazonaws.com");
}

TEST(ConfigTest, PlainHttpNeedsExplicitPermission) {
  GatewayConfig config =
      ParsedWithDefaults("dash_replenishment { endpoint: \"http://127.0.0.1:8080\" }");
  absl::Status status = ValidateConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("dash_replenishment.endpoint"));
  EXPECT_THAT(status.message(), HasSubstr("allow_plain_http"));

  config.mutable_upstream()->set_allow_plain_http(true);
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ConfigTest, BadValuesAreNamed) {
  GatewayConfig config = ParsedWithDefaults(R"(
    listen_address: "nowhere"
    selling_partner { far_east_endpoint: "ftp://x" }
    default_deadline { seconds: -1 }
  )");
  absl::Status status = ValidateConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("listen_address"));
  EXPECT_THAT(status.message(), HasSubstr("selling_partner.far_east_endpoint"));
  EXPECT_THAT(status.message(), HasSubstr("default_deadline"));
}

TEST(ConfigTest, MissingSecretFailsAtStartupWithoutItsValue) {
  GatewayConfig config = ParsedWithDefaults(
      "imiconnect { base_url: \"https://api.imiconnect.io\" profile_key { env: "
      "\"LINKGATEWAY_TEST_UNSET_VARIABLE\" } }");
  absl::Status status = ValidateConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("imiconnect.profile_key"));
  EXPECT_THAT(status.message(), HasSubstr("LINKGATEWAY_TEST_UNSET_VARIABLE"));
}

TEST(ConfigTest, ListenAddressNeedsAValidPort) {
  for (std::string address : {"127.0.0.1:notaport", "127.0.0.1:99999", ":50051", "localhost"}) {
    GatewayConfig config = ParsedWithDefaults("listen_address: \"" + address + "\"");
    EXPECT_THAT(ValidateConfig(config).message(), HasSubstr("listen_address")) << address;
  }
  GatewayConfig config = ParsedWithDefaults("listen_address: \"[::1]:0\"");
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ConfigTest, RetryPoliciesAreCheckedAndDefaulted) {
  GatewayConfig config = ParsedWithDefaults(R"(
    retry_policies { key: "selling_partner.DeleteSubscription" value { max_attempts: 5 } }
  )");
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  auto policy = RetryPolicyFor(config, "selling_partner.DeleteSubscription");
  EXPECT_EQ(policy.max_attempts(), 5);
  EXPECT_EQ(ToDuration(policy.initial_backoff()), absl::Milliseconds(100));
  EXPECT_EQ(RetryPolicyFor(config, "imiconnect.DeleteAppProfile").max_attempts(), 3);

  config = ParsedWithDefaults(R"(
    retry_policies { key: "selling_partner.DeleteSubscriptions" value {} }
    retry_policies { key: "sms_voice.DeleteRegistration" value { max_attempts: -1 } }
  )");
  absl::Status status = ValidateConfig(config);
  EXPECT_THAT(status.message(),
              HasSubstr("retry_policies[\"selling_partner.DeleteSubscriptions\"]: unknown"));
  EXPECT_THAT(status.message(),
              HasSubstr("retry_policies[\"sms_voice.DeleteRegistration\"].max_attempts"));
}

TEST(ConfigTest, ExampleFileParsesAndValidates) {
  auto config = LoadConfigFile("config/gateway.example.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  ApplyDefaults(*config);
  EXPECT_EQ(config->sms_voice().endpoint(), "https://sms-voice.eu-west-1.amazonaws.com");
  // Its secrets point at the environment and files of a real deployment.
  EXPECT_THAT(ValidateConfig(*config).message(), HasSubstr("LWA_CLIENT_ID"));
}

TEST(SecretsTest, FromEnvironment) {
  setenv("LINKGATEWAY_TEST_SECRET", "s3cr3t", 1);
  v1::SecretRef ref;
  ref.set_env("LINKGATEWAY_TEST_SECRET");
  auto value = ResolveSecret(ref, "k");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "s3cr3t");
}

TEST(SecretsTest, FromFileWithoutTrailingNewline) {
  v1::SecretRef ref;
  ref.set_file(WriteTempFile("key.txt", "abc123\n"));
  auto value = ResolveSecret(ref, "k");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "abc123");
}

TEST(SecretsTest, EmptyOrMissingIsAnErrorThatHidesNothingSecret) {
  v1::SecretRef ref;
  ref.set_file(WriteTempFile("empty.txt", "\n"));
  EXPECT_THAT(ResolveSecret(ref, "imiconnect.profile_key").status().message(),
              HasSubstr("imiconnect.profile_key"));
  ref.set_file("/nonexistent/key");
  EXPECT_THAT(ResolveSecret(ref, "k").status().message(), HasSubstr("/nonexistent/key"));
  EXPECT_FALSE(ResolveSecret(v1::SecretRef(), "k").ok());

  setenv("LINKGATEWAY_TEST_SECRET2", "hunter2", 1);
  ref.set_env("LINKGATEWAY_TEST_SECRET2");
  GatewayConfig config = ParsedWithDefaults("");
  *config.mutable_imiconnect()->mutable_profile_key() = ref;
  config.mutable_imiconnect()->set_base_url("http://insecure");
  EXPECT_THAT(ValidateConfig(config).message(), Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace linkgateway::config
