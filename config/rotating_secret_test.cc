#include "config/rotating_secret.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

// A fresh directory under the test's temporary directory.
fs::path FreshDirectory(std::string const& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(fs::path const& path, std::string const& contents) {
  std::ofstream(path, std::ios::trunc) << contents;
}

// Replaces `path` whole, as editors and `kubectl cp` do: a new inode.
void ReplaceByRename(fs::path const& path, std::string const& contents) {
  fs::path next = path.string() + ".next";
  Write(next, contents);
  fs::rename(next, path);
}

RotatingSecret LoadFile(fs::path const& path, std::string const& key = "x.secret") {
  v1::SecretRef ref;
  ref.set_file(path.string());
  auto secret = RotatingSecret::Load(ref, key);
  EXPECT_TRUE(secret.ok()) << secret.status();
  return secret.ok() ? *secret : RotatingSecret();
}

TEST(RotatingSecretTest, FileReplacedByRenameIsReRead) {
  fs::path file = FreshDirectory("rename") / "key";
  Write(file, "first\n");
  RotatingSecret secret = LoadFile(file);
  EXPECT_EQ(secret.value(), "first");
  ReplaceByRename(file, "second\n");
  EXPECT_EQ(secret.value(), "second");
  // Copies share the watched file.
  RotatingSecret copy = secret;
  ReplaceByRename(file, "third");
  EXPECT_EQ(copy.value(), "third");
  EXPECT_EQ(secret.value(), "third");
}

TEST(RotatingSecretTest, FileRewrittenInPlaceIsReRead) {
  fs::path file = FreshDirectory("in_place") / "key";
  Write(file, "first");
  RotatingSecret secret = LoadFile(file);
  Write(file, "a longer second value");  // same inode, new size and times
  EXPECT_EQ(secret.value(), "a longer second value");
}

// Kubernetes' atomic writer: <dir>/key -> ..data/key, ..data -> ..<timestamp>;
// a rotation writes a new timestamped directory and renames a new ..data link
// over the old one. The path's own symlink never changes.
TEST(RotatingSecretTest, KubernetesDataSymlinkSwapIsReRead) {
  fs::path dir = FreshDirectory("kubernetes");
  fs::create_directory(dir / "..2026_01_01_00_00_00.1");
  Write(dir / "..2026_01_01_00_00_00.1" / "key", "K1");
  fs::create_directory_symlink("..2026_01_01_00_00_00.1", dir / "..data");
  fs::create_symlink("..data/key", dir / "key");
  RotatingSecret secret = LoadFile(dir / "key");
  EXPECT_EQ(secret.value(), "K1");

  fs::create_directory(dir / "..2026_01_01_00_01_00.2");
  Write(dir / "..2026_01_01_00_01_00.2" / "key", "K2");  // same size as K1
  fs::create_directory_symlink("..2026_01_01_00_01_00.2", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  fs::remove_all(dir / "..2026_01_01_00_00_00.1");
  EXPECT_EQ(secret.value(), "K2");
}

TEST(RotatingSecretTest, UnusableFileKeepsTheLastGoodValueAndLogsOnceWithoutIt) {
  fs::path file = FreshDirectory("unusable") / "key";
  Write(file, "good-value-1");
  RotatingSecret secret = LoadFile(file, "imiconnect.profile_key");

  testing::internal::CaptureStderr();
  ReplaceByRename(file, "\n");  // empty
  EXPECT_EQ(secret.value(), "good-value-1");
  EXPECT_EQ(secret.value(), "good-value-1");
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("imiconnect.profile_key: the secret is empty"));
  EXPECT_THAT(log, HasSubstr("keeping the secret's last good value"));
  // Once per change, not once per use.
  EXPECT_EQ(log.find("ERROR"), log.rfind("ERROR")) << log;
  EXPECT_THAT(log, Not(HasSubstr("good-value-1")));

  testing::internal::CaptureStderr();
  fs::remove(file);
  EXPECT_EQ(secret.value(), "good-value-1");
  fs::create_directory(file);  // not a file at all: cannot be read (a chmod 000 file would
                               // not do: tests run as root, which reads any file)
  EXPECT_EQ(secret.value(), "good-value-1");
  fs::remove(file);
  Write(file, "bad\x01value");  // would split a header
  EXPECT_EQ(secret.value(), "good-value-1");
  log = testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("cannot read secret file " + file.string()));
  EXPECT_THAT(log, HasSubstr("control characters"));
  EXPECT_THAT(log, Not(HasSubstr("good-value-1")));
  EXPECT_THAT(log, Not(HasSubstr("bad\x01value")));

  testing::internal::CaptureStderr();
  ReplaceByRename(file, "good-value-2\n");
  EXPECT_EQ(secret.value(), "good-value-2");
  log = testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("imiconnect.profile_key: re-read the secret from " + file.string()));
  EXPECT_THAT(log, Not(HasSubstr("good-value-2")));
}

// Users on many threads while the file rotates: each sees a whole value,
// one of those written, never a torn or empty one.
TEST(RotatingSecretTest, ConcurrentUsersSeeWholeValuesWhileTheFileRotates) {
  fs::path file = FreshDirectory("concurrent") / "key";
  Write(file, "value-0");
  RotatingSecret secret = LoadFile(file);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t) {
    users.emplace_back([&] {
      while (!done.load()) {
        std::string value = secret.value();
        if (value.rfind("value-", 0) != 0) bad.fetch_add(1);
      }
    });
  }
  for (int i = 1; i <= 200; ++i) ReplaceByRename(file, "value-" + std::to_string(i));
  done.store(true);
  for (auto& user : users) user.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(secret.value(), "value-200");
}

TEST(RotatingSecretTest, EnvironmentSecretNeverChanges) {
  setenv("LINKGATEWAY_TEST_ROTATING", "from-env", 1);
  v1::SecretRef ref;
  ref.set_env("LINKGATEWAY_TEST_ROTATING");
  auto secret = RotatingSecret::Load(ref, "k");
  ASSERT_TRUE(secret.ok());
  setenv("LINKGATEWAY_TEST_ROTATING", "changed", 1);
  EXPECT_EQ(secret->value(), "from-env");
}

TEST(RotatingSecretTest, StartUpNeedsAGoodSecret) {
  fs::path file = FreshDirectory("start") / "key";
  Write(file, "");
  v1::SecretRef ref;
  ref.set_file(file.string());
  EXPECT_EQ(RotatingSecret::Load(ref, "k").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RotatingSecret().value(), "");
  EXPECT_EQ(RotatingSecret("fixed").value(), "fixed");
}

}  // namespace
}  // namespace linkgateway::config
