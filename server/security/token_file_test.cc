#include "server/security/token_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observability/metrics/registry.h"
#include "server/security/file_metrics.h"

namespace linkgateway::server::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A fresh directory (mode 700) for one test's files.
std::string Directory(std::string const& name) {
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  mkdir(dir.c_str(), 0700);
  chmod(dir.c_str(), 0700);
  return dir;
}

void Write(std::string const& path, std::string const& text) {
  std::ofstream(path, std::ios::trunc) << text;
  chmod(path.c_str(), 0600);
}

// Checked on every use here (the gateway checks at most once a second).
WatchedFileOptions EveryUse() {
  WatchedFileOptions options;
  options.check_interval = absl::ZeroDuration();
  return options;
}

TEST(TokenFileTest, HashedLinesFindTheirNames) {
  std::string text = "# callers\n" + HashTokenLine("billing", "tok-billing-123") + "\n\n" +
                     HashTokenLine("token:ops", "tok-ops-456") + "  # the on-call robot\n";
  EXPECT_THAT(text, Not(HasSubstr("tok-billing-123")));  // never in clear
  auto entries = ParseTokenFile(text);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(FindToken(*entries, "tok-billing-123"), "billing");
  EXPECT_EQ(FindToken(*entries, "tok-ops-456"), "ops");  // "token:" is how it is proven
  EXPECT_EQ(FindToken(*entries, "tok-ops-45"), std::nullopt);
  EXPECT_EQ(FindToken(*entries, ""), std::nullopt);
}

TEST(TokenFileTest, SameTokenHashesDifferentlyEachTime) {
  EXPECT_NE(HashTokenLine("p", "t"), HashTokenLine("p", "t"));  // fresh salt
}

TEST(TokenFileTest, BadLinesNameTheLineNotItsContents) {
  auto entries = ParseTokenFile("ok-looking 00 zz\n");
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(std::string(entries.status().message()), HasSubstr("line 1"));
  EXPECT_THAT(std::string(entries.status().message()), Not(HasSubstr("ok-looking")));
  EXPECT_FALSE(ParseTokenFile("p 00\n").ok());
  EXPECT_FALSE(ParseTokenFile("p 0 " + std::string(64, 'a') + "\n").ok());
}

TEST(TokenFileTest, ChangesAreReloadedAndABrokenOneInvalidatesEveryToken) {
  std::string path = Directory("reload") + "/tokens.txt";
  Write(path, HashTokenLine("first", "token-1") + "\n");
  auto file = LoadTokenFile(path, EveryUse());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), "first");
  EXPECT_TRUE((*file)->health().ok());
  // Rotation: new contents (a different size, so the change is seen even
  // within the file system clock's granularity).
  Write(path, HashTokenLine("second-principal", "token-2") + "\n");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-2"), "second-principal");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), std::nullopt);
  // A revocation by an edit that went wrong revokes everything.
  Write(path, "garbage\n");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-2"), std::nullopt);
  absl::Status health = (*file)->health();
  EXPECT_TRUE(absl::IsFailedPrecondition(health));
  EXPECT_THAT(std::string(health.message()), HasSubstr("tokens.txt: token file line 1"));
  // Mended: valid again.
  Write(path, HashTokenLine("third", "token-3") + "\n");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-3"), "third");
  EXPECT_TRUE((*file)->health().ok());
}

TEST(TokenFileTest, AMissingFileMeansNoTokenIsValid) {
  std::string path = Directory("missing") + "/tokens.txt";
  Write(path, HashTokenLine("ops", "token-1") + "\n");
  auto file = LoadTokenFile(path, EveryUse());
  ASSERT_TRUE(file.ok());
  observability::metrics::Registry registry;
  ExportSecurityFileMetrics(registry, file->get(), nullptr);
  EXPECT_THAT(registry.Exposition(), HasSubstr("linkgateway_token_file_usable 1\n"));
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), std::nullopt);
  EXPECT_THAT(std::string((*file)->health().message()), HasSubstr("cannot read"));
  EXPECT_THAT(registry.Exposition(), HasSubstr("linkgateway_token_file_usable 0\n"));
  EXPECT_THAT(registry.Exposition(), Not(HasSubstr("policy_file")));
  EXPECT_FALSE(LoadTokenFile("/nonexistent/tokens").ok());  // at start-up: an error
}

TEST(TokenFileTest, KeepLastGoodKeepsTheLastGoodContentsButStaysUnhealthy) {
  std::string path = Directory("keep") + "/tokens.txt";
  Write(path, HashTokenLine("ops", "token-1") + "\n");
  WatchedFileOptions options = EveryUse();
  options.keep_last_good = true;
  auto file = LoadTokenFile(path, options);
  ASSERT_TRUE(file.ok());
  Write(path, "garbage, longer than before..........................................\n");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), "ops");
  EXPECT_FALSE((*file)->health().ok());
}

TEST(TokenFileTest, FilesOthersCanWriteAreRefusedAsSshRefusesThem) {
  std::string dir = Directory("writable");
  std::string path = dir + "/tokens.txt";
  Write(path, HashTokenLine("ops", "token-1") + "\n");
  chmod(path.c_str(), 0664);
  auto refused = LoadTokenFile(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("is writable by group or others (mode 0664; chmod go-w)"));
  WatchedFileOptions allowed;
  allowed.allow_writable_by_others = true;
  EXPECT_TRUE(LoadTokenFile(path, allowed).ok());

  // Made writable while in use: no token is valid any more.
  chmod(path.c_str(), 0600);
  auto file = LoadTokenFile(path, EveryUse());
  ASSERT_TRUE(file.ok());
  chmod(path.c_str(), 0602);
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), std::nullopt);
  chmod(path.c_str(), 0600);
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), "ops");

  // A directory others may write lets them replace the file; unless sticky.
  chmod(dir.c_str(), 0777);
  EXPECT_THAT(std::string(LoadTokenFile(path).status().message()),
              HasSubstr("writable by group or others (mode 0777)"));
  chmod(dir.c_str(), 01777);
  EXPECT_TRUE(LoadTokenFile(path).ok());
  chmod(dir.c_str(), 0700);
}

}  // namespace
}  // namespace linkgateway::server::security
