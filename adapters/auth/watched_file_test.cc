// A file read again only when it changed, including by a swapped symlink
// (how Kubernetes rotates mounted secrets and projected tokens).
#include "adapters/auth/watched_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;

std::string TempPath(std::string const& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(WatchedFileTest, RereadOnlyWhenChanged) {
  std::string path = TempPath("watched");
  std::ofstream(path) << "one";
  WatchedFile file(path);
  auto first = file.Read();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->text, "one");
  auto again = file.Read();
  EXPECT_EQ(again->generation, first->generation);
  std::ofstream(path) << "two, longer";
  auto second = file.Read();
  EXPECT_EQ(second->text, "two, longer");
  EXPECT_GT(second->generation, first->generation);
}

TEST(WatchedFileTest, SymlinkSwapIsAChange) {
  // ..data -> a dir with the token; the path goes through ..data, as in a
  // Kubernetes volume.
  std::string root = TempPath("volume");
  ASSERT_EQ(system(("rm -rf " + root + " && mkdir -p " + root + "/v1 " + root + "/v2").c_str()), 0);
  std::ofstream(root + "/v1/token") << "token-1";
  std::ofstream(root + "/v2/token") << "token-2";  // same size
  ASSERT_EQ(symlink("v1", (root + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/token", (root + "/token").c_str()), 0);
  WatchedFile file(root + "/token");
  EXPECT_EQ(file.Read()->text, "token-1");
  ASSERT_EQ(symlink("v2", (root + "/..data.tmp").c_str()), 0);
  ASSERT_EQ(rename((root + "/..data.tmp").c_str(), (root + "/..data").c_str()), 0);
  EXPECT_EQ(file.Read()->text, "token-2");
}

TEST(WatchedFileTest, MissingTooLargeAndNotAFile) {
  WatchedFile missing(TempPath("nope"));
  EXPECT_EQ(missing.Read().status().code(), absl::StatusCode::kNotFound);
  std::string big = TempPath("big");
  std::ofstream(big) << std::string(100, 'x');
  WatchedFile small_limit(big, 10);
  EXPECT_THAT(small_limit.Read().status().message(), HasSubstr("larger than 10 bytes"));
  WatchedFile directory(std::getenv("TEST_TMPDIR"));
  EXPECT_THAT(directory.Read().status().message(), HasSubstr("not a regular file"));
  // A file that appears later is read then.
  std::string later = TempPath("later");
  WatchedFile appears(later);
  EXPECT_FALSE(appears.Read().ok());
  std::ofstream(later) << "here";
  EXPECT_EQ(appears.Read()->text, "here");
}

}  // namespace
}  // namespace linkgateway::adapters::auth
