#include "server/security/token_file.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::server::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TokenFileTest, HashedLinesFindTheirPrincipal) {
  std::string text = "# callers\n" + HashTokenLine("billing", "tok-billing-123") + "\n\n" +
                     HashTokenLine("ops", "tok-ops-456") + "  # the on-call robot\n";
  EXPECT_THAT(text, Not(HasSubstr("tok-billing-123")));  // never in clear
  auto entries = ParseTokenFile(text);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(FindToken(*entries, "tok-billing-123"), "billing");
  EXPECT_EQ(FindToken(*entries, "tok-ops-456"), "ops");
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

TEST(TokenFileTest, ChangesAreReloadedAndBadOnesIgnored) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/tokens.txt";
  std::ofstream(path) << HashTokenLine("first", "token-1") << "\n";
  // Checked on every use here (the gateway checks at most once a second).
  auto file = TokenFile::Load(path, ParseTokenFile, absl::ZeroDuration());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), "first");
  // Rotation: new contents (a different size, so the change is seen even
  // within the file system clock's granularity).
  std::ofstream(path) << HashTokenLine("second-principal", "token-2") << "\n";
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-2"), "second-principal");
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-1"), std::nullopt);
  // A broken version keeps the last good one.
  std::ofstream(path) << "garbage\n";
  EXPECT_EQ(FindToken(*(*file)->Get(), "token-2"), "second-principal");
}

TEST(TokenFileTest, MissingFileFailsTheLoad) {
  EXPECT_FALSE(TokenFile::Load("/nonexistent/tokens", ParseTokenFile).ok());
}

}  // namespace
}  // namespace linkgateway::server::security
