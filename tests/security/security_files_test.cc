// The files that grant access fail closed (issue 23, item 5), against the
// real gateway: a token file deleted or rewritten with a syntax error while
// it runs revokes every token (a revocation by edit can no longer silently
// fail); a policy file that stops parsing denies every call; files others
// may write are refused at start-up and stop granting anything when they
// become so. Each change is logged once.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/security/token_file.h"
#include "tests/security/secure_gateway.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;

constexpr char kTokA[] = "tok-a-secret-7f3e91";
constexpr char kPolicy[] = R"({"name": "p", "allow_rules": [
    {"name": "tok-a", "source": {"principals": ["token:tok-a"]}}]})";

int Occurrences(std::string const& text, std::string const& part) {
  int count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

class SecurityFilesAttackTest : public SecureGatewayTest {
 protected:
  void SetUp() override {
    SecureOptions options;
    options.policy = kPolicy;
    StartSecure(options);
    channel_ = Channel();
    ASSERT_TRUE(DryRun(channel_, kTokA).ok());
  }

  // Waits (the files are looked at every second) until a dry run with the
  // token answers `code`.
  bool AnsweredEventually(grpc::StatusCode code) {
    return Eventually([&] { return DryRun(channel_, kTokA).error_code() == code; });
  }

  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SecurityFilesAttackTest, ADeletedTokenFileRevokesEveryToken) {
  ASSERT_EQ(std::remove(tokens_path().c_str()), 0);
  ASSERT_TRUE(AnsweredEventually(grpc::StatusCode::UNAUTHENTICATED));
  grpc::Status refused = DryRun(channel_, kTokA);
  EXPECT_THAT(refused.error_message(), HasSubstr("token file cannot be used"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(DryRun(channel_, kTokA).ok());
  std::string log = env_->gateway().Output();
  EXPECT_EQ(Occurrences(log, "no bearer token is valid until it is fixed"), 1) << log;
  // Put back: valid again.
  WriteFile(tokens_path(), server::security::HashTokenLine("tok-a", kTokA) + "\n");
  EXPECT_TRUE(AnsweredEventually(grpc::StatusCode::OK));
}

TEST_F(SecurityFilesAttackTest, ATokenFileWithASyntaxErrorRevokesEveryToken) {
  // The operator meant to revoke another token and broke the file.
  WriteFile(tokens_path(), server::security::HashTokenLine("tok-a", kTokA) + "\ntok-b 00 zz\n");
  ASSERT_TRUE(AnsweredEventually(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(env_->gateway().Output(), HasSubstr("token file line 2"));
}

TEST_F(SecurityFilesAttackTest, APolicyThatStopsParsingDeniesEveryCall) {
  WriteFile(policy_path(), R"({"name": "p", "allow_rules": [)");  // cut short
  ASSERT_TRUE(AnsweredEventually(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(env_->gateway().Output(), HasSubstr("every call is denied until it is fixed"));
  WriteFile(policy_path(), kPolicy);
  EXPECT_TRUE(AnsweredEventually(grpc::StatusCode::OK));
  // A bare principal written while running is refused the same way.
  WriteFile(policy_path(), R"({"name": "p", "allow_rules": [
      {"name": "tok-a", "source": {"principals": ["tok-a"]}}]})");
  EXPECT_TRUE(AnsweredEventually(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(SecurityFilesAttackTest, AFileMadeWritableByOthersStopsGrantingAnything) {
  ASSERT_EQ(chmod(policy_path().c_str(), 0666), 0);
  ASSERT_TRUE(AnsweredEventually(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(env_->gateway().Output(),
              HasSubstr("is writable by group or others (mode 0666; chmod go-w)"));
  ASSERT_EQ(chmod(policy_path().c_str(), 0600), 0);
  ASSERT_TRUE(AnsweredEventually(grpc::StatusCode::OK));
  ASSERT_EQ(chmod(tokens_path().c_str(), 0620), 0);
  EXPECT_TRUE(AnsweredEventually(grpc::StatusCode::UNAUTHENTICATED));
}

class SecurityFilesAtStartTest : public SecureGatewayTest {};

TEST_F(SecurityFilesAtStartTest, FilesOthersMayWriteAreRefusedAtStartUp) {
  SecureOptions options;
  options.policy = kPolicy;
  std::string config = WriteConfig(options);
  ASSERT_EQ(chmod(tokens_path().c_str(), 0666), 0);
  auto run = RunExpectingExit(config);
  ASSERT_TRUE(run.ok());
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("security.authentication.token_file"));
  EXPECT_THAT(run->output, HasSubstr("is writable by group or others (mode 0666; chmod go-w)"));
  // A directory anyone may write lets anyone replace the file.
  ASSERT_EQ(chmod(tokens_path().c_str(), 0600), 0);
  ASSERT_EQ(chmod(Dir().c_str(), 0777), 0);
  run = RunExpectingExit(config);
  ASSERT_EQ(chmod(Dir().c_str(), 0700), 0);
  ASSERT_TRUE(run.ok());
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("writable by group or others (mode 0777)"));
}

}  // namespace
}  // namespace linkgateway::tests::security
