#include "server/unlink/sqlite_job_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/unlink/job_store_conformance.h"

namespace linkgateway::server::unlink {
namespace {

using ::testing::HasSubstr;

std::string FreshPath() {
  static int counter = 0;
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/jobs-", ++counter, ".sqlite3");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, JobStoreConformance,
                         ::testing::Values([]() -> std::unique_ptr<JobStore> {
                           auto store = SqliteJobStore::Open(FreshPath());
                           EXPECT_TRUE(store.ok()) << store.status();
                           return store.ok() ? *std::move(store) : nullptr;
                         }));

TEST(SqliteJobStoreTest, JobsSurviveReopeningAndTheFileIsTheOwnersOnly) {
  std::string path = FreshPath();
  {
    auto store = SqliteJobStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->Create(MakeJob("operations/unlink/a", "svc", "id", 2), "r1",
                             absl::Now() + absl::Seconds(30))
                    .ok());
  }
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  auto reopened = SqliteJobStore::Open(path);
  ASSERT_TRUE(reopened.ok());
  auto got = (*reopened)->Get("operations/unlink/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->metadata.steps_size(), 2);
}

TEST(SqliteJobStoreTest, AnUnwritablePlaceIsUnavailableAndNamed) {
  auto store = SqliteJobStore::Open("/proc/no-such-dir/jobs.sqlite3");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("/proc/no-such-dir/jobs.sqlite3"), std::string::npos);
}

// A store with `jobs` unfinished jobs at a fresh path, closed again.
std::string StoreWithJobs(int jobs) {
  std::string path = FreshPath();
  auto store = SqliteJobStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < jobs; ++i) {
    EXPECT_TRUE((*store)
                    ->Create(MakeJob(absl::StrCat("operations/unlink/", i), "svc", "", 3), "r1",
                             absl::Now() + absl::Seconds(30))
                    .ok());
  }
  return path;
}

// Finding 6 of issue 24: a store truncated to 0 bytes was served as a fresh
// one, its jobs gone without a word.
TEST(SqliteJobStoreTest, AnEmptiedStoreWhereJobsExistedIsAStartUpErrorThatSaysSo) {
  std::string path = StoreWithJobs(3);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  auto reopened = SqliteJobStore::Open(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("is empty (0 bytes)"));
  EXPECT_THAT(reopened.status().message(), HasSubstr(".marker"));
  EXPECT_THAT(reopened.status().message(), HasSubstr("Restore the file from a backup"));
  // The operator's way out: removing the marker starts an empty store.
  ASSERT_EQ(std::remove(SqliteJobStore::MarkerPath(path).c_str()), 0);
  auto fresh = SqliteJobStore::Open(path);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  auto none = (*fresh)->Get("operations/unlink/0");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(SqliteJobStoreTest, AMissingStoreWhereJobsExistedIsAStartUpError) {
  std::string path = StoreWithJobs(1);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  auto reopened = SqliteJobStore::Open(path);
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("is missing"));
}

TEST(SqliteJobStoreTest, AnotherStorePutInItsPlaceIsRefused) {
  std::string path = StoreWithJobs(1);
  std::string other = StoreWithJobs(0);
  ASSERT_EQ(std::rename(other.c_str(), path.c_str()), 0);
  auto reopened = SqliteJobStore::Open(path);
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("(replaced?)"));
}

TEST(SqliteJobStoreTest, AFileOfAnotherKindIsRefused) {
  std::string path = FreshPath();
  std::ofstream(path) << std::string(8192, 'x');
  auto garbage = SqliteJobStore::Open(path);
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kFailedPrecondition) << garbage.status();
  EXPECT_THAT(garbage.status().message(), HasSubstr("cannot be read as a SQLite database"));

  std::string foreign = FreshPath();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t (x)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto other = SqliteJobStore::Open(foreign);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("belongs to another program"));
}

// Finding 6 of issue 24: a damaged page was served; the job on it stayed
// RUNNING for ever.
TEST(SqliteJobStoreTest, ADamagedPageIsAStartUpError) {
  std::string path = StoreWithJobs(200);  // many pages
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  ASSERT_GT(info.st_size, 16 * 4096);
  {
    // Garbage over the pages in the middle of the file.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(info.st_size / 2 / 4096 * 4096);
    std::string garbage(3 * 4096, '\xa5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto reopened = SqliteJobStore::Open(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << reopened.status();
  EXPECT_THAT(reopened.status().message(), HasSubstr("restore"));
}

TEST(SqliteJobStoreTest, AStoreFromBeforeTheMarksIsAdopted) {
  std::string path = FreshPath();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE unlink_jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, name "
                         "TEXT NOT NULL UNIQUE, caller TEXT NOT NULL, request_id TEXT NOT NULL, "
                         "fingerprint TEXT NOT NULL, header BLOB NOT NULL, done INTEGER NOT NULL "
                         "DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0, owner TEXT NOT "
                         "NULL DEFAULT '', lease_until_us INTEGER NOT NULL DEFAULT 0, update_us "
                         "INTEGER NOT NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto adopted = SqliteJobStore::Open(path);
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_TRUE(std::ifstream(SqliteJobStore::MarkerPath(path)).good());
}

TEST(SqliteJobStoreTest, AStoreReplacedWhileTheGatewayRunsFailsItsProbe) {
  std::string path = FreshPath();
  auto store = SqliteJobStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Probe().ok()) << (*store)->Probe();
  std::string other = StoreWithJobs(0);
  ASSERT_EQ(std::rename(other.c_str(), path.c_str()), 0);
  absl::Status probe = (*store)->Probe();
  EXPECT_EQ(probe.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(probe.message(), HasSubstr("replaced"));
}

}  // namespace
}  // namespace linkgateway::server::unlink
