#include "server/unlink/job_store_conformance.h"

#include <set>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"

namespace linkgateway::server::unlink {

using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

StoredJob MakeJob(std::string const& name, std::string const& caller,
                  std::string const& request_id, int steps, std::string const& fingerprint) {
  StoredJob job;
  job.fingerprint = fingerprint;
  auto& m = job.metadata;
  m.set_name(name);
  m.set_caller(caller);
  m.set_request_id(request_id);
  *m.mutable_create_time() = TimeUtil::GetCurrentTime();
  *m.mutable_update_time() = m.create_time();
  for (int i = 0; i < steps; ++i) {
    auto* step = m.add_steps();
    step->mutable_target()->mutable_sms_voice_registration()->set_registration_id(
        "reg-" + std::to_string(i));
    step->set_state(v1::UNLINK_STEP_STATE_PENDING);
  }
  return job;
}

namespace {

absl::Time Now() { return absl::Now(); }
absl::Time Later() { return absl::Now() + absl::Seconds(30); }

std::vector<std::string> Names(std::vector<StoredJob> const& jobs) {
  std::vector<std::string> names;
  for (auto const& job : jobs) names.push_back(job.metadata.name());
  return names;
}

TEST_P(JobStoreConformance, CreateThenGetReturnsTheJobWithItsSteps) {
  auto created = store_->Create(MakeJob("operations/unlink/a", "svc", "", 3), "r1", Later());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->inserted);
  auto got = store_->Get("operations/unlink/a");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->metadata.caller(), "svc");
  ASSERT_EQ((*got)->metadata.steps_size(), 3);
  EXPECT_EQ((*got)->metadata.steps(2).target().sms_voice_registration().registration_id(),
            "reg-2");
  EXPECT_FALSE((*got)->done);
  auto missing = store_->Get("operations/unlink/none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(JobStoreConformance, TheSameRequestIdOfTheSameCallerGivesTheFirstJob) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "id-1", 1, "f1"), "r1", Later())
                  .ok());
  auto again = store_->Create(MakeJob("operations/unlink/b", "svc", "id-1", 2, "f2"), "r1", Later());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->inserted);
  EXPECT_EQ(again->job.metadata.name(), "operations/unlink/a");
  EXPECT_EQ(again->job.fingerprint, "f1");
  // Another caller's id is its own.
  auto other = store_->Create(MakeJob("operations/unlink/c", "other", "id-1", 1), "r1", Later());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->inserted);
}

TEST_P(JobStoreConformance, StepsAreSavedByTheLeaseHolderOnly) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 2), "r1", Later()).ok());
  v1::UnlinkStep step;
  step.set_state(v1::UNLINK_STEP_STATE_RUNNING);
  step.set_attempts(1);
  *step.mutable_update_time() = TimeUtil::GetCurrentTime();
  ASSERT_TRUE(store_->SaveStep("operations/unlink/a", "r1", 1, step).ok());
  auto refused = store_->SaveStep("operations/unlink/a", "r2", 0, step);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  auto got = store_->Get("operations/unlink/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->metadata.steps(0).state(), v1::UNLINK_STEP_STATE_PENDING);
  EXPECT_EQ((*got)->metadata.steps(1).state(), v1::UNLINK_STEP_STATE_RUNNING);
  EXPECT_EQ((*got)->metadata.steps(1).attempts(), 1);
}

TEST_P(JobStoreConformance, ALapsedLeaseIsClaimedByAnotherOwnerAndTheFirstMayNotWrite) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1",
                             Now() - absl::Seconds(1))
                  .ok());
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/b", "svc", "", 1), "r1", Later()).ok());
  auto claimed = store_->Claim("r2", Now(), Later(), JobStore::Held::kAll);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_THAT(Names(*claimed), ElementsAre("operations/unlink/a"));
  v1::UnlinkStep step;
  step.set_state(v1::UNLINK_STEP_STATE_RUNNING);
  EXPECT_EQ(store_->SaveStep("operations/unlink/a", "r1", 0, step).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->SaveStep("operations/unlink/a", "r2", 0, step).ok());
  // An owner restarting claims its own jobs at once.
  auto own = store_->Claim("r1", Now(), Later(), JobStore::Held::kAll);
  ASSERT_TRUE(own.ok());
  EXPECT_THAT(Names(*own), ElementsAre("operations/unlink/b"));
}

TEST_P(JobStoreConformance, ARunningOwnerClaimsOfItsOwnJobsOnlyThoseCancelledElsewhere) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1", Later()).ok());
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/b", "svc", "", 1), "r1", Later()).ok());
  auto claimed = store_->Claim("r1", Now(), Later(), JobStore::Held::kCancelled);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_TRUE(claimed->empty());
  ASSERT_TRUE(store_->MarkCancelRequested("operations/unlink/b").ok());
  claimed = store_->Claim("r1", Now(), Later(), JobStore::Held::kCancelled);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_THAT(Names(*claimed), ElementsAre("operations/unlink/b"));
  // Another owner's lapsed lease is claimed either way.
  ASSERT_TRUE(
      store_->Create(MakeJob("operations/unlink/c", "svc", "", 1), "r2", Now() - absl::Seconds(1))
          .ok());
  claimed = store_->Claim("r1", Now(), Later(), JobStore::Held::kCancelled);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_THAT(Names(*claimed), UnorderedElementsAre("operations/unlink/b", "operations/unlink/c"));
}

TEST_P(JobStoreConformance, RenewedLeasesAreNotClaimed) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1",
                             Now() + absl::Milliseconds(1))
                  .ok());
  ASSERT_TRUE(store_->Renew("r1", Later()).ok());
  auto claimed = store_->Claim("r2", Now() + absl::Seconds(1), Later(), JobStore::Held::kAll);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
}

TEST_P(JobStoreConformance, DoneJobsAreNeitherClaimedNorWritable) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1", Later()).ok());
  ASSERT_TRUE(store_->MarkCancelRequested("operations/unlink/a").ok());
  ASSERT_TRUE(store_->MarkDone("operations/unlink/a", "r1").ok());
  auto got = store_->Get("operations/unlink/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->done);
  EXPECT_TRUE((*got)->metadata.cancel_requested());
  auto claimed = store_->Claim("r1", Now() + absl::Hours(1), Later(), JobStore::Held::kAll);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
  v1::UnlinkStep step;
  EXPECT_EQ(store_->SaveStep("operations/unlink/a", "r1", 0, step).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(JobStoreConformance, ListPagesNewestFirstAndFilters) {
  for (int i = 0; i < 5; ++i) {
    std::string caller = i % 2 == 0 ? "even" : "odd";
    ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/" + std::to_string(i), caller, "", 1),
                               "r1", Later())
                    .ok());
  }
  ASSERT_TRUE(store_->MarkDone("operations/unlink/4", "r1").ok());
  JobQuery query;
  query.page_size = 2;
  auto first = store_->List(query);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Names(first->jobs), ElementsAre("operations/unlink/4", "operations/unlink/3"));
  ASSERT_FALSE(first->next_page_token.empty());
  query.page_token = first->next_page_token;
  auto second = store_->List(query);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Names(second->jobs), ElementsAre("operations/unlink/2", "operations/unlink/1"));
  query.page_token = second->next_page_token;
  auto last = store_->List(query);
  ASSERT_TRUE(last.ok());
  EXPECT_THAT(Names(last->jobs), ElementsAre("operations/unlink/0"));
  EXPECT_TRUE(last->next_page_token.empty());

  JobQuery even;
  even.caller = "even";
  even.done = false;
  auto filtered = store_->List(even);
  ASSERT_TRUE(filtered.ok());
  EXPECT_THAT(Names(filtered->jobs), ElementsAre("operations/unlink/2", "operations/unlink/0"));

  JobQuery bad;
  bad.page_token = "not-a-token";
  EXPECT_EQ(store_->List(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(JobStoreConformance, PurgeForgetsOldFinishedJobsOnly) {
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/a", "svc", "", 1), "r1", Later()).ok());
  ASSERT_TRUE(store_->Create(MakeJob("operations/unlink/b", "svc", "", 1), "r1", Later()).ok());
  ASSERT_TRUE(store_->MarkDone("operations/unlink/a", "r1").ok());
  auto purged = store_->Purge(Now() + absl::Hours(1));
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  auto a = store_->Get("operations/unlink/a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->has_value());
  auto b = store_->Get("operations/unlink/b");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->has_value());
}

}  // namespace

}  // namespace linkgateway::server::unlink
