// The AWS credentials sources: environment and shared credentials file.
#include "adapters/auth/aws_credentials.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;

TEST(AwsCredentialsTest, FromEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "id", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  unsetenv("AWS_SESSION_TOKEN");
  auto credentials = MakeEnvironmentAwsCredentials()->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "id");
  EXPECT_EQ(credentials->session_token, "");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  auto missing = MakeEnvironmentAwsCredentials()->Get();
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("AWS_SECRET_ACCESS_KEY"));
}

TEST(AwsCredentialsTest, FileProfilesAndRotation) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/credentials";
  std::ofstream(path) << "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n"
                         "# comment\n[gateway]\naws_access_key_id=A2\n"
                         "aws_secret_access_key=S2\naws_session_token=T2\n";
  auto gateway = MakeFileAwsCredentials(path, "gateway");
  auto first = gateway->Get();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->access_key_id, "A2");
  EXPECT_EQ(first->session_token, "T2");

  std::ofstream(path) << "[gateway]\naws_access_key_id=A3\naws_secret_access_key=S3-rotated\n";
  auto rotated = gateway->Get();
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->access_key_id, "A3");
  EXPECT_EQ(rotated->session_token, "");

  auto absent = MakeFileAwsCredentials(path, "nope")->Get();
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(absent.status().message(), HasSubstr("[nope]"));
  EXPECT_THAT(absent.status().message(), ::testing::Not(HasSubstr("S3-rotated")));
}

}  // namespace
}  // namespace linkgateway::adapters::auth
