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

absl::Status Validated(GatewayConfig const& config) {
  Checker check(config);
  ValidateConfig(config, check);
  return check.Result();
}

TEST(ConfigTest, GatewayWideDefaults) {
  GatewayConfig config = ParsedWithDefaults("");
  EXPECT_EQ(config.listen_address(), "127.0.0.1:50051");
  EXPECT_EQ(ToDuration(config.default_deadline()), absl::Seconds(30));
  EXPECT_EQ(ToDuration(config.shutdown_grace_period()), absl::Seconds(10));
  EXPECT_TRUE(Validated(config).ok()) << Validated(config);
}

TEST(ConfigTest, ListenAddressNeedsAValidPort) {
  for (std::string address : {"127.0.0.1:notaport", "127.0.0.1:99999", ":50051", "localhost"}) {
    GatewayConfig config = ParsedWithDefaults("listen_address: \"" + address + "\"");
    EXPECT_THAT(Validated(config).message(), HasSubstr("listen_address")) << address;
  }
  GatewayConfig config = ParsedWithDefaults("listen_address: \"[::1]:0\"");
  EXPECT_TRUE(Validated(config).ok());
}

TEST(ConfigTest, BadValuesAreNamedTogether) {
  GatewayConfig config = ParsedWithDefaults(R"(
    listen_address: "nowhere"
    default_deadline { seconds: -1 }
    upstream { max_response_bytes: -1 connect_timeout { seconds: -2 } event_loops: -1 }
  )");
  absl::Status status = Validated(config);
  EXPECT_THAT(status.message(), HasSubstr("listen_address"));
  EXPECT_THAT(status.message(), HasSubstr("default_deadline"));
  EXPECT_THAT(status.message(), HasSubstr("upstream.max_response_bytes"));
  EXPECT_THAT(status.message(), HasSubstr("upstream.connect_timeout"));
  EXPECT_THAT(status.message(), HasSubstr("upstream.event_loops"));
}

TEST(CheckerTest, PlainHttpNeedsExplicitPermission) {
  GatewayConfig config;
  {
    Checker check(config);
    check.Url("x.endpoint", "http://127.0.0.1:8080");
    EXPECT_THAT(check.Result().message(), HasSubstr("x.endpoint"));
    EXPECT_THAT(check.Result().message(), HasSubstr("allow_plain_http"));
  }
  config.mutable_upstream()->set_allow_plain_http(true);
  Checker check(config);
  check.Url("x.endpoint", "http://127.0.0.1:8080");
  check.Url("y.endpoint", "https://example.com");
  EXPECT_TRUE(check.Result().ok());
  check.Url("z.endpoint", "ftp://x");
  EXPECT_THAT(check.Result().message(), HasSubstr("z.endpoint: must be an https:// URL"));
}

TEST(CheckerTest, MissingSecretNamesKeyAndSourceNotValue) {
  GatewayConfig config;
  Checker check(config);
  v1::SecretRef ref;
  ref.set_env("LINKGATEWAY_TEST_UNSET_VARIABLE");
  check.Secret("x.key", ref);
  EXPECT_THAT(check.Result().message(), HasSubstr("x.key"));
  EXPECT_THAT(check.Result().message(), HasSubstr("LINKGATEWAY_TEST_UNSET_VARIABLE"));
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

TEST(SecretsTest, BlankOrControlCharactersFailNamingTheKey) {
  v1::SecretRef ref;
  setenv("LINKGATEWAY_TEST_BLANK", "   ", 1);
  ref.set_env("LINKGATEWAY_TEST_BLANK");
  auto blank = ResolveSecret(ref, "imiconnect.profile_key");
  EXPECT_EQ(blank.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(blank.status().message(), HasSubstr("imiconnect.profile_key: the secret is blank"));
  setenv("LINKGATEWAY_TEST_CRLF", "key\r\nX-Evil: 1", 1);
  ref.set_env("LINKGATEWAY_TEST_CRLF");
  auto split = ResolveSecret(ref, "k");
  EXPECT_THAT(split.status().message(), HasSubstr("control characters"));
  EXPECT_THAT(split.status().message(), Not(HasSubstr("X-Evil")));
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
  GatewayConfig config;
  Checker check(config);
  check.Secret("x.key", ref);
  check.Url("x.endpoint", "http://insecure");
  EXPECT_THAT(check.Result().message(), Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace linkgateway::config
