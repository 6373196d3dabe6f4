// Static keys (the environment, a shared credentials file) and the helpers
// every credential source shares.
#include "adapters/auth/aws_credentials.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "adapters/auth/aws_static_credentials.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A static provider answers inline.
absl::StatusOr<AwsCredentials> GetNow(AwsCredentialsProvider& provider) {
  std::optional<absl::StatusOr<AwsCredentials>> result;
  provider.Get(absl::InfiniteFuture(), nullptr,
               [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value());
  return result.value_or(absl::UnknownError("not inline"));
}

std::string ReasonOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  return adapters::errors::FindDetail(status, info) ? info.reason() : "";
}

TEST(AwsCredentialsTest, FromEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  unsetenv("AWS_SESSION_TOKEN");
  unsetenv("AWS_SECURITY_TOKEN");
  unsetenv("AWS_CREDENTIAL_EXPIRATION");
  auto provider = MakeEnvironmentAwsCredentials();
  auto credentials = GetNow(*provider);
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "id");
  EXPECT_EQ(credentials->session_token, "");
  EXPECT_EQ(credentials->expiration, absl::InfiniteFuture());
  EXPECT_TRUE(provider->Ready().ok());
  unsetenv("AWS_SECRET_ACCESS_KEY");
  auto missing = GetNow(*provider);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("AWS_SECRET_ACCESS_KEY"));
  EXPECT_EQ(ReasonOf(missing.status()), "GATEWAY_CREDENTIALS_MISSING");
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(missing.status()));
  EXPECT_EQ(provider->Ready().code(), absl::StatusCode::kFailedPrecondition);
  unsetenv("AWS_ACCESS_KEY_ID");
  EXPECT_THAT(GetNow(*provider).status().message(), HasSubstr("AWS_ACCESS_KEY_ID"));
}

TEST(AwsCredentialsTest, FileProfilesAndRotation) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/credentials";
  std::ofstream(path) << "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n"
                         "# comment\n[gateway]\naws_access_key_id=A2\n"
                         "aws_secret_access_key=S2\naws_session_token=T2\n";
  auto gateway = MakeFileAwsCredentials(path, "gateway");
  auto first = GetNow(*gateway);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->access_key_id, "A2");
  EXPECT_EQ(first->session_token, "T2");

  std::ofstream(path) << "[gateway]\naws_access_key_id=A3\naws_secret_access_key=S3-rotated\n";
  auto rotated = GetNow(*gateway);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->access_key_id, "A3");
  EXPECT_EQ(rotated->session_token, "");

  auto absent = GetNow(*MakeFileAwsCredentials(path, "nope"));
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(absent.status().message(), HasSubstr("[nope]"));
  EXPECT_THAT(absent.status().message(), Not(HasSubstr("S3-rotated")));
  EXPECT_EQ(ReasonOf(absent.status()), "GATEWAY_CREDENTIALS_MISSING");

  auto no_file = MakeFileAwsCredentials(path + ".gone", "gateway");
  EXPECT_EQ(no_file->Ready().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_file->Ready().message(), HasSubstr("does not exist"));
}

TEST(AwsCredentialsTest, KeyWithoutSecretIsAnErrorNamingTheProfile) {
  auto parsed = ParseAwsCredentialsFile("[p]\naws_access_key_id = A\n", "p");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(parsed.status().message(), HasSubstr("profile [p]"));
  // A repeated key is configparser's error, and so ours (line named).
  auto repeated = ParseAwsCredentialsFile(
      "[p]\naws_access_key_id = A\naws_access_key_id = B\naws_secret_access_key = S\n", "p");
  EXPECT_THAT(repeated.status().message(), HasSubstr("line 3"));
}

struct TimestampCase {
  std::string text;
  std::optional<std::int64_t> unix_millis;  // nullopt: rejected
};

TEST(AwsCredentialsTest, Timestamps) {
  for (auto const& c : std::vector<TimestampCase>{
           {"2024-05-01T12:00:00Z", 1714564800000},
           {"2024-05-01T12:00:00.250Z", 1714564800250},
           {"2024-05-01T14:00:00+02:00", 1714564800000},
           {"2024-05-01 12:00:00", std::nullopt},
           {"2024-05-01", std::nullopt},
           {"", std::nullopt},
           {"tomorrow", std::nullopt},
       }) {
    auto parsed = ParseAwsTimestamp(c.text);
    if (!c.unix_millis) {
      EXPECT_FALSE(parsed.ok()) << c.text;
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << c.text;
    EXPECT_EQ(absl::ToUnixMillis(*parsed), *c.unix_millis) << c.text;
  }
}

}  // namespace
}  // namespace linkgateway::adapters::auth
