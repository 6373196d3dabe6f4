// Tamper evidence (issue 23, item 3), against the trail the real gateway
// writes across rotated files: `verify` finds an edited, a removed and a
// reordered record; a trail file removed while the gateway runs is noticed,
// a new one begun, and the loss shows in `verify`.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/secure_gateway.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;

constexpr char kTokA[] = "tok-a-secret-7f3e91";

std::vector<std::string> Lines(std::string const& path) {
  return absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty());
}

void WriteLines(std::string const& path, std::vector<std::string> const& lines) {
  WriteFile(path, absl::StrJoin(lines, "\n") + "\n");
}

class TamperAttackTest : public SecureGatewayTest {
 protected:
  // Twelve audited dry runs in files of at most 3000 bytes, then the
  // gateway stops.
  void WriteTrail() {
    SecureOptions options;
    options.audit_extra = "max_file_bytes: 3000 max_files: 9";
    StartSecure(options);
    auto channel = Channel();
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(DryRun(channel, kTokA).ok());
    env_.reset();
    ASSERT_FALSE(Lines(audit_path() + ".2").empty()) << "the trail should span three files";
  }
};

TEST_F(TamperAttackTest, VerifyFindsAnEditedRecord) {
  WriteTrail();
  auto intact = Verify();
  ASSERT_EQ(intact.exit_code, 0) << intact.output;
  EXPECT_THAT(intact.output, HasSubstr("intact: 12 records (sequences 1-12)"));

  // Who did it is rewritten in the second record of audit.jsonl.1.
  std::string file = audit_path() + ".1";
  auto lines = Lines(file);
  ASSERT_GE(lines.size(), 3u);
  lines[1] = absl::StrReplaceAll(lines[1], {{"token:tok-a", "token:ops"}});
  WriteLines(file, lines);
  auto altered = Verify();
  EXPECT_EQ(altered.exit_code, 1);
  EXPECT_THAT(altered.output, HasSubstr("ALTERED: audit.jsonl.1 line 2 (sequence "));
}

TEST_F(TamperAttackTest, VerifyFindsARemovedAndAReorderedRecord) {
  WriteTrail();
  std::string file = audit_path() + ".2";
  auto lines = Lines(file);
  ASSERT_GE(lines.size(), 4u);
  auto removed = lines;
  removed.erase(removed.begin() + 2);
  WriteLines(file, removed);
  auto missing = Verify();
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("MISSING: record 3 is missing between audit.jsonl.2 "
                                        "line 2 (sequence 2) and audit.jsonl.2 line 3"));
  std::swap(lines[1], lines[2]);
  WriteLines(file, lines);
  auto reordered = Verify();
  EXPECT_EQ(reordered.exit_code, 1);
  EXPECT_THAT(reordered.output, HasSubstr("REORDERED: sequence 2 is at audit.jsonl.2 line 3"));
}

TEST_F(TamperAttackTest, ATrailFileRemovedWhileRunningIsNoticedAndTheLossShows) {
  StartSecure();
  auto channel = Channel();
  ASSERT_TRUE(DryRun(channel, kTokA).ok());
  ASSERT_EQ(std::remove(audit_path().c_str()), 0);
  ASSERT_TRUE(DryRun(channel, kTokA).ok());
  auto records = AuditRecords();  // the new file, not the removed inode
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].sequence(), 2u);
  EXPECT_EQ(records[0].file_start().reason(), "reopened: the file was removed or renamed");
  EXPECT_THAT(env_->gateway().Output(), HasSubstr("was removed or renamed while the gateway "
                                                  "wrote it"));
  auto verified = Verify();
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_THAT(verified.output, HasSubstr("MISSING: the file before audit.jsonl (records up to "
                                         "sequence 1) was removed or renamed"));
}

}  // namespace
}  // namespace linkgateway::tests::security
