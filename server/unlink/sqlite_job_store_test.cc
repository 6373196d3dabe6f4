#include "server/unlink/sqlite_job_store.h"

#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/unlink/job_store_conformance.h"

namespace linkgateway::server::unlink {
namespace {

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

}  // namespace
}  // namespace linkgateway::server::unlink
