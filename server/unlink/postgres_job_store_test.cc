#include "server/unlink/postgres_job_store.h"

#include <postgresql/libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "config/rotating_secret.h"
#include "gtest/gtest.h"
#include "server/unlink/job_store_conformance.h"
#include "tests/testing/postgres_server.h"

namespace linkgateway::server::unlink {
namespace {

// One real server for the whole test binary; each store a fresh database.
tests::testing::PostgresServer& Server() {
  static auto* server = [] {
    auto started = tests::testing::PostgresServer::Start();
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? started->release() : nullptr;
  }();
  return *server;
}

std::string FreshDatabase() {
  static int counter = 0;
  std::string name = absl::StrCat("jobs_", ++counter);
  PGconn* admin = PQconnectdb(Server().conninfo().c_str());
  EXPECT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  PGresult* created = PQexec(admin, absl::StrCat("CREATE DATABASE ", name).c_str());
  EXPECT_EQ(PQresultStatus(created), PGRES_COMMAND_OK) << PQerrorMessage(admin);
  PQclear(created);
  PQfinish(admin);
  return absl::StrCat(Server().conninfo(), " dbname=", name);
}

INSTANTIATE_TEST_SUITE_P(Postgres, JobStoreConformance,
                         ::testing::Values([]() -> std::unique_ptr<JobStore> {
                           auto store = PostgresJobStore::Open(FreshDatabase());
                           EXPECT_TRUE(store.ok()) << store.status();
                           return store.ok() ? *std::move(store) : nullptr;
                         }));

TEST(PostgresJobStoreTest, TwoReplicasClaimingAtOnceNeverGetTheSameJob) {
  std::string conninfo = FreshDatabase();
  auto a = PostgresJobStore::Open(conninfo);
  auto b = PostgresJobStore::Open(conninfo);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*a)->Create(MakeJob(absl::StrCat("operations/unlink/", i), "svc", "", 1), "dead",
                             absl::Now() - absl::Seconds(1))
                    .ok());
  }
  std::vector<StoredJob> got_a, got_b;
  std::thread ta([&] {
    got_a = *(*a)->Claim("a", absl::Now(), absl::Now() + absl::Seconds(30), JobStore::Held::kAll);
  });
  std::thread tb([&] {
    got_b = *(*b)->Claim("b", absl::Now(), absl::Now() + absl::Seconds(30), JobStore::Held::kAll);
  });
  ta.join();
  tb.join();
  std::set<std::string> names;
  for (auto const& j : got_a) names.insert(j.metadata.name());
  for (auto const& j : got_b) EXPECT_TRUE(names.insert(j.metadata.name()).second);
  EXPECT_EQ(names.size(), 20u);
}

TEST(PostgresJobStoreTest, AnUnreachableServerIsUnavailableWithoutThePassword) {
  auto store = PostgresJobStore::Open(
      "host=127.0.0.1 port=1 user=gw password=s3cret-never-shown dbname=x connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.status().message().find("s3cret-never-shown"), std::string::npos);
}

// Finding 7 of issue 24: the schema's CREATE ... IF NOT EXISTS made
// PostgreSQL send a NOTICE per object at every start, printed on stderr.
TEST(PostgresJobStoreTest, StartingAgainIsQuiet) {
  std::string conninfo = FreshDatabase();
  ASSERT_TRUE(PostgresJobStore::Open(conninfo).ok());
  ::testing::internal::CaptureStderr();
  auto again = PostgresJobStore::Open(conninfo);
  std::string printed = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(printed.find("NOTICE"), std::string::npos) << printed;
}

// A server that answers nothing (stopped) costs a call its statement
// timeout and a second, not for ever; the store is usable once it is back.
TEST(PostgresJobStoreTest, AStalledServerFailsCallsWithinTheStatementTimeout) {
  auto server = tests::testing::PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  PostgresOptions options;
  options.connect_timeout = absl::Seconds(2);
  options.statement_timeout = absl::Seconds(1);
  auto store = PostgresJobStore::Open((*server)->conninfo(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1",
                               absl::Now() + absl::Seconds(30))
                  .ok());
  EXPECT_TRUE((*store)->Probe().ok());
  (*server)->Pause();
  absl::Time start = absl::Now();
  auto stalled = (*store)->Get("operations/unlink/a");
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(stalled.status().code(), absl::StatusCode::kUnavailable) << stalled.status();
  EXPECT_LT(took, absl::Seconds(6));
  absl::Status probe = (*store)->Probe();
  EXPECT_FALSE(probe.ok());
  (*server)->Resume();
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  absl::StatusOr<std::optional<StoredJob>> back;
  do {
    back = (*store)->Get("operations/unlink/a");
  } while (!back.ok() && absl::Now() < give_up);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->has_value());
  EXPECT_TRUE((*store)->Probe().ok());
}

// The connection string is a secret read from a file, re-read at each
// (re)connect: rotated (here to another database, where the cluster trusts
// loopback and a changed password would prove nothing), the store's next
// connection uses the new one.
TEST(PostgresJobStoreTest, ARotatedConnectionStringFileIsUsedAtTheNextConnect) {
  std::string first = FreshDatabase();
  std::string second = FreshDatabase();
  auto other = PostgresJobStore::Open(second);  // its schema, and a job only it has
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)
                  ->Create(MakeJob("operations/unlink/second", "svc", "", 1), "r1",
                           absl::Now() + absl::Seconds(30))
                  .ok());
  std::string file = absl::StrCat(std::getenv("TEST_TMPDIR"), "/postgres-conninfo");
  std::ofstream(file, std::ios::trunc) << first << "\n";
  config::v1::SecretRef ref;
  ref.set_file(file);
  auto conninfo = config::RotatingSecret::Load(ref, "unlink.postgres");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  auto store = PostgresJobStore::Open(*conninfo);
  ASSERT_TRUE(store.ok()) << store.status();
  auto found = (*store)->Get("operations/unlink/second");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());

  std::ofstream(file + ".next") << second << "\n";
  ASSERT_EQ(std::rename((file + ".next").c_str(), file.c_str()), 0);
  // Its connection ends (a failover, a restart): the next one is made anew.
  PGconn* admin = PQconnectdb(Server().conninfo().c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  std::string database = first.substr(first.rfind('=') + 1);
  PGresult* killed = PQexec(
      admin,
      absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '",
                   database, "'")
          .c_str());
  EXPECT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK) << PQerrorMessage(admin);
  PQclear(killed);
  PQfinish(admin);
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  do {
    found = (*store)->Get("operations/unlink/second");
  } while (!found.ok() && absl::Now() < give_up);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->has_value());
}

}  // namespace
}  // namespace linkgateway::server::unlink
