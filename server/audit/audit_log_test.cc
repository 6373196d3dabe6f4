// The audit sink: durable lines, the hash chain, rotation and retention,
// fail-closed readiness that stays closed until a record is written again,
// a file removed under it, a torn last line, and signatures.
#include "server/audit/audit_log.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "observability/metrics/registry.h"
#include "server/audit/audit_metrics.h"
#include "server/audit/signing.h"
#include "server/audit/trail_file.h"
#include "server/audit/verifier.h"

namespace linkgateway::server::audit {
namespace {

using ::testing::HasSubstr;
namespace pb = linkgateway::audit::v1;

std::string TempPath(std::string const& name) {
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name, ".d");
  mkdir(dir.c_str(), 0700);
  return dir + "/audit.jsonl";
}

std::string Read(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(std::string const& path) {
  return absl::StrSplit(Read(path), '\n', absl::SkipEmpty());
}

pb::AuditRecord Parse(std::string const& line) {
  pb::AuditRecord record;
  EXPECT_TRUE(ParseRecordLine(line, record)) << line;
  return record;
}

absl::Status AppendAndWait(AuditLog& log, pb::AuditRecord const& record) {
  absl::Notification done;
  absl::Status result;
  log.Append(record, [&](absl::Status status) {
    result = status;
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  return result;
}

pb::AuditRecord Record(std::string const& method) {
  pb::AuditRecord record;
  record.set_method(method);
  record.mutable_outcome()->set_code("OK");
  return record;
}

bool Exists(std::string const& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Polls `condition` for up to 10 s.
template <typename F>
bool Eventually(F condition) {
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// A disk whose calls fail on demand, as failing disks do: fdatasync with
// EIO while the file system stays mounted, a write cut short, a file system
// that stops taking data (EROFS).
class FailingDisk : public Disk {
 public:
  std::atomic<int> failing_syncs{0};
  std::atomic<int> failing_writes{0};  // write half, then fail
  std::atomic<bool> read_only{false};
  // No space beyond what was allocated (reserved) before.
  std::atomic<bool> full{false};

  ssize_t Write(int fd, void const* data, std::size_t size) override {
    if (read_only) return Error(EROFS);
    if (full) {
      // The file is written at its end only.
      struct stat st {};
      if (fstat(fd, &st) != 0) return -1;
      if (st.st_size + static_cast<off_t>(size) > allocated_until.load()) return Error(ENOSPC);
    }
    if (failing_writes > 0) {
      --failing_writes;
      ssize_t half = PosixDisk().Write(fd, data, size / 2);
      (void)half;
      return Error(EIO);
    }
    return PosixDisk().Write(fd, data, size);
  }
  int DataSync(int fd) override {
    if (read_only) return Error(EROFS);
    if (failing_syncs > 0) {
      --failing_syncs;
      return Error(EIO);
    }
    return PosixDisk().DataSync(fd);
  }
  int Allocate(int fd, off_t offset, off_t length) override {
    if (read_only) return Error(EROFS);
    if (full && offset + length > allocated_until.load()) return Error(ENOSPC);
    int allocated = PosixDisk().Allocate(fd, offset, length);
    if (allocated == 0 && offset + length > allocated_until.load()) {
      allocated_until = offset + length;
    }
    return allocated;
  }
  std::atomic<off_t> allocated_until{0};

 private:
  static int Error(int error) {
    errno = error;
    return -1;
  }
};

TEST(AuditLogTest, RecordsAreChainedJsonLinesOnDiskBeforeDone) {
  std::string path = TempPath("lines");
  AuditLog log({path, 1 << 20, 3});
  ASSERT_TRUE(log.Ready().ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Other")).ok());
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  pb::AuditRecord first = Parse(lines[0]), second = Parse(lines[1]);
  EXPECT_EQ(first.method(), "/a.S/Delete");
  EXPECT_EQ(first.sequence(), 1u);
  EXPECT_EQ(first.previous_hash(), "");
  EXPECT_EQ(first.file_start().reason(), "new trail");
  EXPECT_FALSE(first.file_start().has_previous_file());
  EXPECT_EQ(second.sequence(), 2u);
  EXPECT_EQ(second.previous_hash(), Sha256Hex(lines[0]));
  EXPECT_FALSE(second.has_file_start());
  EXPECT_EQ(log.written(), 2);
  EXPECT_TRUE(VerifyTrail(path, nullptr).intact);
}

TEST(AuditLogTest, ARestartContinuesTheChain) {
  std::string path = TempPath("restart");
  {
    AuditLog log({path});
    ASSERT_TRUE(AppendAndWait(log, Record("/a.S/One")).ok());
    ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Two")).ok());
  }
  AuditLog log({path});
  ASSERT_TRUE(log.Ready().ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Three")).ok());
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Parse(lines[2]).sequence(), 3u);
  EXPECT_EQ(Parse(lines[2]).previous_hash(), Sha256Hex(lines[1]));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
}

TEST(AuditLogTest, ATrailFromBeforeTheChainIsContinuedInAFileOfItsOwn) {
  std::string path = TempPath("upgrade");
  std::string old_lines =
      "{\"time\":\"2026-11-29T19:08:19Z\",\"method\":\"/a.S/Old\",\"outcome\":{\"code\":\"OK\"}}\n"
      "{\"time\":\"2026-11-29T19:08:20Z\",\"method\":\"/a.S/"
      "Older\",\"outcome\":{\"code\":\"OK\"}}\n";
  std::ofstream(path) << old_lines;
  AuditLog log({path});
  ASSERT_TRUE(log.Ready().ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/New")).ok());
  EXPECT_EQ(Read(path + ".1"), old_lines);  // untouched, rotated
  pb::AuditRecord first = Parse(Lines(path)[0]);
  EXPECT_EQ(first.sequence(), 1u);
  EXPECT_EQ(first.previous_hash(), Sha256Hex(Lines(path + ".1").back()));
  EXPECT_EQ(first.file_start().reason(), "started: the previous file predates the hash chain");
  EXPECT_EQ(first.file_start().previous_file().sha256(), Sha256Hex(old_lines));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_THAT(absl::StrJoin(report.notes, "\n"),
              HasSubstr("audit.jsonl.1: 2 records from before the hash chain, not checked"));
  // Changing the old file still shows: the new one holds its digest.
  std::ofstream(path + ".1") << absl::StrReplaceAll(old_lines, {{"Older", "Other"}});
  EXPECT_FALSE(VerifyTrail(path, nullptr).intact);
}

TEST(AuditLogTest, RotatesBySizeAndTheChainCrossesFiles) {
  std::string path = TempPath("rotate");
  AuditLog log({path, 600, 2});
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 600);
  EXPECT_TRUE(Exists(path + ".1"));
  EXPECT_TRUE(Exists(path + ".2"));
  EXPECT_FALSE(Exists(path + ".3"));  // only max_files are kept
  pb::AuditRecord start = Parse(Lines(path)[0]);
  EXPECT_EQ(start.file_start().reason(), "rotated by size");
  EXPECT_EQ(start.file_start().previous_file().sha256(), Sha256Hex(Read(path + ".1")));
  EXPECT_EQ(start.previous_hash(), Sha256Hex(Lines(path + ".1").back()));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_THAT(absl::StrJoin(report.notes, "\n"), HasSubstr("rotated away"));
}

TEST(AuditLogTest, RotatesByTime) {
  std::string path = TempPath("time");
  AuditLog::Options options;
  options.path = path;
  options.rotate_interval = absl::Nanoseconds(1);  // every write finds the file old
  AuditLog log(options);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  EXPECT_TRUE(Exists(path + ".2"));
  EXPECT_EQ(Parse(Lines(path)[0]).file_start().reason(), "rotated by time");
  EXPECT_TRUE(VerifyTrail(path, nullptr).intact);
}

TEST(AuditLogTest, RotationKeepsFilesYoungerThanTheRetentionAndSaysSo) {
  std::string path = TempPath("retention");
  AuditLog::Options options;
  options.path = path;
  options.max_file_bytes = 400;
  options.max_files = 1;
  options.min_retention = absl::Hours(1);
  AuditLog log(options);
  observability::metrics::Registry registry;
  ExportAuditMetrics(registry, log);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  EXPECT_TRUE(Exists(path + ".5"));  // beyond max_files: young, kept
  auto kept = log.state()->files_kept_for_retention.load();
  EXPECT_GE(kept, 4);
  EXPECT_THAT(registry.Exposition(),
              HasSubstr(absl::StrCat("linkgateway_audit_files_kept_for_retention ", kept, "\n")));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_THAT(absl::StrJoin(report.notes, "\n"), HasSubstr("records 1-"));  // nothing lost

  // Without a retention the same flood keeps max_files only.
  std::string other = TempPath("no-retention");
  options.path = other;
  options.min_retention = absl::ZeroDuration();
  AuditLog unretained(options);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendAndWait(unretained, Record("/a.S/Delete")).ok());
  EXPECT_FALSE(Exists(other + ".2"));
  EXPECT_EQ(unretained.state()->files_kept_for_retention.load(), 0);
}

TEST(AuditLogTest, AFailedSyncKeepsTheTrailClosedUntilARecordIsWrittenAgain) {
  std::string path = TempPath("sticky");
  FailingDisk disk;
  AuditLog::Options options;
  options.path = path;
  options.probe_interval = absl::ZeroDuration();  // only Recover() retries
  options.disk = &disk;
  AuditLog log(options);
  observability::metrics::Registry registry;
  ExportAuditMetrics(registry, log);
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Before")).ok());
  EXPECT_THAT(registry.Exposition(), HasSubstr("linkgateway_audit_ready 1"));

  disk.failing_syncs = 1;  // EIO once; the disk is fine after
  absl::Status failed = AppendAndWait(log, Record("/a.S/Lost"));
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  // The disk works again, but nothing proved it: still closed.
  for (int i = 0; i < 3; ++i) {
    absl::Status ready = log.Ready();
    EXPECT_EQ(ready.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(ready.message()), HasSubstr("cannot flush"));
  }
  EXPECT_EQ(log.health().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(registry.Exposition(), HasSubstr("linkgateway_audit_ready 0"));
  EXPECT_EQ(AppendAndWait(log, Record("/a.S/Refused")).code(), absl::StatusCode::kUnavailable);

  absl::Status recover = log.Recover();
  ASSERT_TRUE(recover.ok()) << recover;
  EXPECT_TRUE(log.Ready().ok());
  EXPECT_TRUE(log.health().ok());
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/After")).ok());
  auto lines = Lines(path);
  // Before, the unsynced Lost (its bytes reached the file), RECOVERED, After.
  ASSERT_EQ(lines.size(), 4u);
  pb::AuditRecord recovered = Parse(lines[2]);
  EXPECT_EQ(recovered.trail_event().kind(), pb::TRAIL_EVENT_KIND_RECOVERED);
  EXPECT_THAT(recovered.trail_event().detail(), HasSubstr("cannot flush"));
  EXPECT_EQ(recovered.sequence(), 2u);  // Lost is not part of the chain
  EXPECT_EQ(recovered.previous_hash(), Sha256Hex(lines[0]));
  EXPECT_EQ(recovered.trail_event().unacknowledged_offset(),
            static_cast<std::int64_t>(lines[0].size() + 1));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_THAT(absl::StrJoin(report.notes, "\n"), HasSubstr("written while the trail was failing"));
}

TEST(AuditLogTest, CallsAdmittedBeforeTheDiskFillsHaveRoomForTheirRecords) {
  std::string path = TempPath("admitted");
  FailingDisk disk;
  AuditLog::Options options;
  options.path = path;
  options.probe_interval = absl::ZeroDuration();
  options.disk = &disk;
  AuditLog log(options);
  // 400 calls admitted (each may reach a provider), then nothing is left on
  // the disk. Their records — 1.2 MiB, more than the 1 MiB a trail keeps
  // reserved by itself — are all written: room was kept as each came in.
  constexpr int kCalls = 400;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(log.Ready().ok()) << i;
  disk.full = true;
  pb::AuditRecord record = Record("/a.S/Delete");
  record.mutable_outcome()->set_reason(std::string(3000, 'x'));
  absl::Mutex mu;
  int written = 0, answered = 0;
  for (int i = 0; i < kCalls; ++i) {
    log.Append(
        record,
        [&](absl::Status status) {
          absl::MutexLock lock(&mu);
          ++answered;
          if (status.ok()) ++written;
        },
        /*admitted=*/true);
  }
  {
    absl::MutexLock lock(&mu);
    auto all = [&] {
      mu.AssertReaderHeld();
      return answered == kCalls;
    };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(30)));
    EXPECT_EQ(written, kCalls);
  }
  // New calls are admitted while room is left for them, then refused.
  absl::Status refused;
  for (int i = 0; i < 2000 && refused.ok(); ++i) refused = log.Ready();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("cannot reserve space"));
  EXPECT_EQ(Lines(path).size(), static_cast<std::size_t>(kCalls));
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
}

TEST(AuditLogTest, AWriteCutShortIsMendedAndTheProbeRecoversByItself) {
  std::string path = TempPath("torn-write");
  FailingDisk disk;
  AuditLog::Options options;
  options.path = path;
  options.probe_interval = absl::Milliseconds(200);
  options.disk = &disk;
  AuditLog log(options);
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Before")).ok());
  disk.failing_writes = 1;  // half a line reaches the file
  EXPECT_FALSE(AppendAndWait(log, Record("/a.S/Torn")).ok());
  EXPECT_FALSE(log.Ready().ok());
  ASSERT_TRUE(Eventually([&] { return log.Ready().ok(); }));  // the background probe
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/After")).ok());
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 3u);  // Before, RECOVERED, After
}

TEST(AuditLogTest, AFileSystemThatStopsTakingDataIsNoticedBeforeAWrite) {
  std::string path = TempPath("read-only");
  FailingDisk disk;
  AuditLog::Options options;
  options.path = path;
  options.probe_interval = absl::Milliseconds(100);
  options.disk = &disk;
  AuditLog log(options);
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Before")).ok());
  disk.read_only = true;  // as ext4 after errors=remount-ro
  absl::Status ready = log.Ready();
  EXPECT_EQ(ready.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ready.message()), HasSubstr("does not take data"));
  absl::SleepFor(absl::Milliseconds(300));  // probes keep failing meanwhile
  EXPECT_FALSE(log.Ready().ok());
  EXPECT_EQ(Lines(path).size(), 1u);
  disk.read_only = false;
  ASSERT_TRUE(Eventually([&] { return log.Ready().ok(); }));
  EXPECT_TRUE(VerifyTrail(path, nullptr).intact);
}

TEST(AuditLogTest, ARemovedOrRenamedFileIsNoticedAndANewOneBegun) {
  std::string path = TempPath("removed");
  AuditLog log({path});
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/One")).ok());
  ASSERT_EQ(std::remove(path.c_str()), 0);
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Two")).ok());
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 1u);
  pb::AuditRecord two = Parse(lines[0]);
  EXPECT_EQ(two.method(), "/a.S/Two");
  EXPECT_THAT(two.file_start().reason(), HasSubstr("removed or renamed"));
  EXPECT_EQ(two.sequence(), 2u);
  // The removed file's record is gone, and verify says so.
  auto report = VerifyTrail(path, nullptr);
  EXPECT_FALSE(report.intact);
  EXPECT_THAT(report.problem, HasSubstr("MISSING: the file before audit.jsonl (records up to "
                                        "sequence 1) was removed or renamed"));

  ASSERT_EQ(std::rename(path.c_str(), (path + ".elsewhere").c_str()), 0);
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Three")).ok());
  EXPECT_EQ(Parse(Lines(path)[0]).method(), "/a.S/Three");
}

TEST(AuditLogTest, ATornLastLineIsMendedAtStart) {
  std::string path = TempPath("torn-start");
  {
    AuditLog log({path});
    ASSERT_TRUE(AppendAndWait(log, Record("/a.S/One")).ok());
  }
  std::ofstream(path, std::ios::app) << "{\"time\":\"2026-";  // a crash mid-write
  AuditLog log({path});
  absl::Status ready = log.Ready();
  ASSERT_TRUE(ready.ok()) << ready;
  ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Two")).ok());
  auto report = VerifyTrail(path, nullptr);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.records, 3u);  // One, RECOVERED, Two
}

TEST(AuditLogTest, AFullDeviceFailsClosedAndIsNeverRenamed) {
  // /dev/full refuses every write (ENOSPC) and is not a regular file.
  AuditLog log({"/dev/full", 1 << 20, 1});
  absl::Status ready = log.Ready();
  ASSERT_EQ(ready.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ready.message()), HasSubstr("the audit trail cannot be written"));
  EXPECT_FALSE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  EXPECT_EQ(log.failures(), 1);
  EXPECT_FALSE(log.Recover().ok());
  struct stat st {};
  ASSERT_EQ(stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(Exists("/dev/full.1"));
  EXPECT_FALSE(Exists("/dev/full.new"));
}

TEST(AuditLogTest, AnUnwritableDirectoryFailsClosed) {
  AuditLog log({"/proc/linkgateway-audit/audit.jsonl", 1 << 20, 1});
  EXPECT_EQ(log.Ready().code(), absl::StatusCode::kUnavailable);
}

// An Ed25519 key pair: the private key (mode 600) and the public key.
void WriteKeyPair(std::string const& private_path, std::string const& public_path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(key, nullptr);
  FILE* f = std::fopen(private_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  chmod(private_path.c_str(), 0600);
  f = std::fopen(public_path.c_str(), "w");
  PEM_write_PUBKEY(f, key);
  std::fclose(f);
  EVP_PKEY_free(key);
}

TEST(AuditLogTest, FileDigestsAreSignedAndVerifyWithThePublicKeyOnly) {
  std::string path = TempPath("signed");
  std::string dir = path.substr(0, path.rfind('/'));
  WriteKeyPair(dir + "/key.pem", dir + "/key.pub");
  WriteKeyPair(dir + "/other.pem", dir + "/other.pub");
  AuditLog::Options options;
  options.path = path;
  options.max_file_bytes = 700;
  options.signing_key_file = dir + "/key.pem";
  {
    AuditLog log(options);
    ASSERT_TRUE(log.Ready().ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendAndWait(log, Record("/a.S/Delete")).ok());
  }  // sealed at shutdown
  pb::AuditRecord seal = Parse(Lines(path).back());
  EXPECT_EQ(seal.trail_event().kind(), pb::TRAIL_EVENT_KIND_SEALED);
  EXPECT_FALSE(seal.trail_event().sealed().signature().empty());

  auto key = LoadVerifyingKey(dir + "/key.pub");
  ASSERT_TRUE(key.ok()) << key.status();
  auto report = VerifyTrail(path, key->get());
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_THAT(report.notes.back(), HasSubstr("signature(s) checked"));
  auto other = LoadVerifyingKey(dir + "/other.pub");
  ASSERT_TRUE(other.ok());
  report = VerifyTrail(path, other->get());
  EXPECT_FALSE(report.intact);
  EXPECT_THAT(report.problem, HasSubstr("does not verify with key"));
}

TEST(AuditLogTest, ASigningKeyOthersMayReadIsRefusedAndTheTrailStaysClosed) {
  std::string path = TempPath("bad-key");
  std::string dir = path.substr(0, path.rfind('/'));
  WriteKeyPair(dir + "/key.pem", dir + "/key.pub");
  chmod((dir + "/key.pem").c_str(), 0644);
  auto signer = LoadSigningKey(dir + "/key.pem");
  ASSERT_FALSE(signer.ok());
  EXPECT_THAT(std::string(signer.status().message()), HasSubstr("chmod 600"));
  AuditLog::Options options;
  options.path = path;
  options.signing_key_file = dir + "/key.pem";
  AuditLog log(options);
  EXPECT_EQ(log.Ready().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(log.Recover().ok());
}

}  // namespace
}  // namespace linkgateway::server::audit
