// The configuration's AwsCredentials section: defaults, checks naming their
// keys, and the providers it builds (one independent provider per section).
#include "adapters/auth/aws_credentials_config.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "config/config.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using testing::FakeHttpTransport;
using ::testing::HasSubstr;
using testing::ManualScheduler;
using testing::Response;

config::v1::AwsCredentials Parse(std::string const& text) {
  config::v1::AwsCredentials out;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &out)) << text;
  return out;
}

absl::Status Check(std::string const& text, bool allow_plain_http = false) {
  config::v1::GatewayConfig gateway;
  gateway.mutable_upstream()->set_allow_plain_http(allow_plain_http);
  config::Checker check(gateway);
  auto credentials = Parse(text);
  ApplyAwsCredentialsDefaults(credentials);
  ValidateAwsCredentials(credentials, "sms_voice.credentials", check);
  return check.Result();
}

TEST(AwsCredentialsConfigTest, Defaults) {
  config::v1::AwsCredentials empty;
  ApplyAwsCredentialsDefaults(empty);
  EXPECT_TRUE(empty.from_environment());
  EXPECT_EQ(empty.refresh_ahead().seconds(), 300);
  EXPECT_EQ(empty.refresh_jitter().seconds(), 120);
  auto file = Parse(R"(file { path: "/x" })");
  ApplyAwsCredentialsDefaults(file);
  EXPECT_EQ(file.file().profile(), "default");
  auto chain = Parse("chain {}");
  ApplyAwsCredentialsDefaults(chain);
  EXPECT_TRUE(chain.has_chain());
}

struct CheckCase {
  std::string config;
  std::string error;  // "" when valid
};

TEST(AwsCredentialsConfigTest, ChecksNameTheKey) {
  for (
      auto const& c : std::vector<CheckCase>{
          {"chain {}", ""},
          {R"(chain { profile: "p" instance_metadata { endpoint: "http://127.0.0.1:1" } })", ""},
          {R"(web_identity { token_file: "/t" role_arn: "arn:aws:iam::1:role/r" })", ""},
          {R"(file { path: "/f" } assume_role { role_arn: "arn:aws:iam::1:role/r"
               external_id: "ext:1/2" duration { seconds: 900 } role_session_name: "gw@x" })",
           ""},
          {R"(file {})", "sms_voice.credentials.file.path: is required"},
          {R"(web_identity { role_arn: "arn:aws:iam::1:role/r" })",
           "sms_voice.credentials.web_identity.token_file: is required"},
          {R"(web_identity { token_file: "/t" })",
           "sms_voice.credentials.web_identity.role_arn: is required"},
          {R"(chain {} assume_role { role_arn: "arn:aws:iam::1:role/r" duration { seconds: 60 } })",
           "sms_voice.credentials.assume_role.duration: must be whole seconds from 15m to 12h"},
          {R"(chain {} assume_role { role_arn: "arn:x" duration { seconds: 43201 } })",
           "assume_role.duration"},
          {R"(chain {} assume_role { role_arn: "arn:x" role_session_name: "has space" })",
           "assume_role.role_session_name"},
          {R"(chain {} assume_role { role_arn: "arn:x" external_id: "a" })",
           "assume_role.external_id"},
          {R"(chain {} sts { endpoint: "http://127.0.0.1:1" })",
           "sms_voice.credentials.sts.endpoint: is plain http://"},
          {R"(chain { instance_metadata { endpoint: "169.254.169.254" } })",
           "chain.instance_metadata.endpoint: must be an http:// or https:// URL"},
          {R"(chain {} refresh_ahead { seconds: -1 })", "refresh_ahead: must not be negative"},
      }) {
    absl::Status status = Check(c.config);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.config << ": " << status;
    } else {
      EXPECT_THAT(status.message(), HasSubstr(c.error)) << c.config;
    }
  }
  EXPECT_TRUE(Check(R"(chain {} sts { endpoint: "http://127.0.0.1:1" })", true).ok());
}

class MakeTest : public ::testing::Test {
 protected:
  absl::StatusOr<AwsCredentials> Get(AwsCredentialsProvider& provider) {
    std::optional<absl::StatusOr<AwsCredentials>> result;
    provider.Get(clock_.Now() + absl::Seconds(30), nullptr,
                 [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
    return result.value_or(absl::UnknownError("pending"));
  }

  std::shared_ptr<AwsCredentialsProvider> Make(std::string const& text) {
    auto config = Parse(text);
    ApplyAwsCredentialsDefaults(config);
    return MakeAwsCredentials(
        config, {transport_, clock_, "eu-west-2",
                 [](std::string const&) -> std::optional<std::string> { return std::nullopt; },
                 [this](bool ok) { fetches_.push_back(ok); }});
  }

  std::string Dir() { return std::getenv("TEST_TMPDIR"); }

  adapters::testing::ManualScheduler clock_;
  adapters::testing::FakeHttpTransport transport_;
  std::vector<bool> fetches_;
};

constexpr char kAssumed[] =
    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
    "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
    "<Expiration>2023-11-15T00:13:20Z</Expiration></Credentials></AssumeRoleResult>"
    "</AssumeRoleResponse>";

TEST_F(MakeTest, AssumeRoleOverAFileSourceSignedForTheAccountRegion) {
  std::ofstream(Dir() + "/base") << "[default]\naws_access_key_id = AKIDBASE\n"
                                    "aws_secret_access_key = base-secret\n";
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kAssumed); });
  auto provider = Make(absl::StrCat(R"(file { path: ")", Dir(), R"(/base" }
      assume_role { role_arn: "arn:aws:iam::222233334444:role/gateway" external_id: "ext-7" })"));
  // Prefetched at once: the first call does not wait.
  ASSERT_EQ(transport_.requests().size(), 1u);
  auto credentials = Get(*provider);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_key_id, "ASIAROLE");
  adapters::transport::HttpRequest const r = transport_.requests().at(0);
  EXPECT_EQ(r.url, "https://sts.eu-west-2.amazonaws.com/");
  EXPECT_THAT(r.body, HasSubstr("Action=AssumeRole&"));
  EXPECT_THAT(r.body, HasSubstr("ExternalId=ext-7"));
  EXPECT_THAT(r.body, HasSubstr("RoleSessionName=linkgateway-"));
  bool signed_for_region = false;
  for (auto const& [name, value] : r.headers) {
    if (name == "Authorization") {
      signed_for_region = absl::StrContains(value, "AKIDBASE/") &&
                          absl::StrContains(value, "/eu-west-2/sts/aws4_request");
    }
  }
  EXPECT_TRUE(signed_for_region);
  EXPECT_EQ(fetches_, std::vector<bool>{true});
}

TEST_F(MakeTest, WebIdentityWithItsOwnStsEndpointAndRegion) {
  std::ofstream(Dir() + "/token") << "oidc-token";
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return Response(200,
                    absl::StrReplaceAll(kAssumed, {{"AssumeRole", "AssumeRoleWithWebIdentity"}}));
  });
  auto provider = Make(absl::StrCat(R"(web_identity { token_file: ")", Dir(),
                                    R"(/token" role_arn: "arn:aws:iam::1:role/irsa"
                                    duration { seconds: 3600 } }
                                    sts { endpoint: "https://sts.test" region: "us-west-1" })"));
  auto credentials = Get(*provider);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  adapters::transport::HttpRequest const r = transport_.requests().at(0);
  EXPECT_EQ(r.url, "https://sts.test/");
  EXPECT_THAT(r.body, HasSubstr("DurationSeconds=3600"));
  EXPECT_THAT(r.body, HasSubstr("WebIdentityToken=oidc-token"));
}

TEST_F(MakeTest, EachSectionIsItsOwnProvider) {
  std::ofstream(Dir() + "/a")
      << "[default]\naws_access_key_id = AKIDA\naws_secret_access_key = a\n";
  std::ofstream(Dir() + "/b")
      << "[default]\naws_access_key_id = AKIDB\naws_secret_access_key = b\n";
  auto a =
      Make(absl::StrCat(R"(chain { config_file: "/none" credentials_file: ")", Dir(), R"(/a" })"));
  auto b =
      Make(absl::StrCat(R"(chain { config_file: "/none" credentials_file: ")", Dir(), R"(/b" })"));
  EXPECT_EQ(Get(*a)->access_key_id, "AKIDA");
  EXPECT_EQ(Get(*b)->access_key_id, "AKIDB");
  EXPECT_TRUE(transport_.requests().empty());
}

}  // namespace
}  // namespace linkgateway::adapters::auth
