// The verify tool's checks against a real trail (three rotated files) and
// each way it can be tampered with: a record altered, removed, moved or
// renumbered, a file's first record cut, a rotated file removed or appended
// to.
#include "server/audit/verifier.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"

namespace linkgateway::server::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace pb = linkgateway::audit::v1;

std::string Read(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(std::string const& path) {
  return absl::StrSplit(Read(path), '\n', absl::SkipEmpty());
}

void WriteLines(std::string const& path, std::vector<std::string> const& lines) {
  std::ofstream(path, std::ios::trunc) << absl::StrJoin(lines, "\n") << "\n";
}

class VerifierTest : public ::testing::Test {
 protected:
  // A trail of 12 records in three files: audit.jsonl.2, .1 and audit.jsonl.
  void SetUp() override {
    std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir.c_str(), 0700);
    path_ = dir + "/audit.jsonl";
    AuditLog log({path_, 1500, 5});
    for (int i = 1; i <= 12; ++i) {
      pb::AuditRecord record;
      record.set_method("/linkgateway.v1.RegistrationService/DeleteRegistration");
      (*record.mutable_target())["registration_id"] = absl::StrCat("reg-", i);
      record.mutable_outcome()->set_code("OK");
      absl::Notification done;
      log.Append(record, [&](absl::Status status) {
        EXPECT_TRUE(status.ok()) << status;
        done.Notify();
      });
      done.WaitForNotification();
    }
  }

  // Lines of the rotated file `n` (0: the current one).
  std::string File(int n) const { return n == 0 ? path_ : absl::StrCat(path_, ".", n); }

  VerifyReport Verify() const { return VerifyTrail(path_, nullptr); }

  std::string path_;
};

TEST_F(VerifierTest, AnUntouchedTrailIsIntact) {
  struct stat st {};
  ASSERT_EQ(stat(File(2).c_str(), &st), 0) << "the trail should span three files";
  ASSERT_NE(stat(File(3).c_str(), &st), 0);
  auto report = Verify();
  ASSERT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 12u);
  EXPECT_THAT(report.notes.back(), HasSubstr("intact: 12 records (sequences 1-12) in 3 files"));
}

TEST_F(VerifierTest, AnAlteredRecordIsNamed) {
  auto lines = Lines(File(1));
  ASSERT_GE(lines.size(), 3u);
  pb::AuditRecord second;
  ASSERT_TRUE(ParseRecordLine(lines[1], second));
  std::string id = second.target().at("registration_id");
  lines[1] = absl::StrReplaceAll(lines[1], {{id, "reg-99"}});
  WriteLines(File(1), lines);
  auto report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem,
            absl::StrCat("ALTERED: audit.jsonl.1 line 2 (sequence ", second.sequence(),
                         "): it was changed (its hash is not the previous_hash recorded by "
                         "audit.jsonl.1 line 3 (sequence ",
                         second.sequence() + 1, "))"));
}

TEST_F(VerifierTest, AnAlteredLastRecordOfARotatedFileIsNamed) {
  auto lines = Lines(File(2));
  pb::AuditRecord last;
  ASSERT_TRUE(ParseRecordLine(lines.back(), last));
  lines.back() = absl::StrReplaceAll(lines.back(), {{"\"OK\"", "\"NOT_FOUND\""}});
  WriteLines(File(2), lines);
  auto report = Verify();
  EXPECT_THAT(report.problem,
              StartsWith(absl::StrCat("ALTERED: audit.jsonl.2 line ", lines.size(), " (sequence ",
                                      last.sequence(), "): it was changed")));
}

TEST_F(VerifierTest, ARecordWhoseLinkWasRewrittenIsNamed) {
  auto lines = Lines(File(1));
  pb::AuditRecord record;
  ASSERT_TRUE(ParseRecordLine(lines[2], record));
  lines[2] = absl::StrReplaceAll(lines[2], {{record.previous_hash(), std::string(64, '0')}});
  WriteLines(File(1), lines);
  EXPECT_THAT(Verify().problem,
              StartsWith(absl::StrCat("ALTERED: audit.jsonl.1 line 3 (sequence ", record.sequence(),
                                      "): it was changed (it does not link")));
}

TEST_F(VerifierTest, ARemovedRecordIsMissing) {
  auto lines = Lines(File(1));
  pb::AuditRecord removed;
  ASSERT_TRUE(ParseRecordLine(lines[1], removed));
  lines.erase(lines.begin() + 1);
  WriteLines(File(1), lines);
  EXPECT_THAT(Verify().problem,
              StartsWith(absl::StrCat("MISSING: record ", removed.sequence(),
                                      " is missing between audit.jsonl.1 line 1")));
}

TEST_F(VerifierTest, SwappedRecordsAreReordered) {
  auto lines = Lines(File(2));
  ASSERT_GE(lines.size(), 3u);
  std::swap(lines[1], lines[2]);
  WriteLines(File(2), lines);
  EXPECT_EQ(Verify().problem,
            "REORDERED: sequence 2 is at audit.jsonl.2 line 3, not after audit.jsonl.2 line 1 "
            "(sequence 1)");
}

TEST_F(VerifierTest, ARenumberedRecordIsAltered) {
  auto lines = Lines(File(1));
  pb::AuditRecord record;
  ASSERT_TRUE(ParseRecordLine(lines[1], record));
  lines[1] = absl::StrReplaceAll(
      lines[1], {{absl::StrCat("\"sequence\":\"", record.sequence()), "\"sequence\":\"77"}});
  WriteLines(File(1), lines);
  EXPECT_THAT(Verify().problem, HasSubstr("its sequence was changed"));
}

TEST_F(VerifierTest, AFileWhoseBeginningWasCutIsMissingIt) {
  auto lines = Lines(File(2));
  lines.erase(lines.begin());
  WriteLines(File(2), lines);
  EXPECT_THAT(Verify().problem, HasSubstr("does not start a file (no file_start)"));
}

TEST_F(VerifierTest, ARemovedRotatedFileIsMissing) {
  ASSERT_EQ(std::remove(File(1).c_str()), 0);
  EXPECT_EQ(Verify().problem,
            "MISSING: audit.jsonl.1 does not exist (files before and after it do)");
}

TEST_F(VerifierTest, BytesAppendedToARotatedFileAreFound) {
  std::ofstream(File(1), std::ios::app) << Lines(File(1)).back() << "\n";
  EXPECT_THAT(Verify().problem, StartsWith("ALTERED: audit.jsonl.1 has "));
}

TEST_F(VerifierTest, AnEditThatKeepsEveryHashIsCaughtByTheNextFilesDigest) {
  // Whitespace inside the last line of .2: the line still parses the same,
  // but its bytes (and so its hash and the file's digest) changed.
  auto lines = Lines(File(2));
  lines.back() = absl::StrReplaceAll(lines.back(), {{"{\"", "{ \""}});
  WriteLines(File(2), lines);
  EXPECT_THAT(Verify().problem, StartsWith("ALTERED: audit.jsonl.2 line"));
}

}  // namespace
}  // namespace linkgateway::server::audit
