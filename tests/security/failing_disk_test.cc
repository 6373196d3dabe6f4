// The audit disk fails mid-run (issue 23, item 2), or fills up, on a real
// file system:
// ext4 on a loop device, mounted errors=remount-ro, whose error the kernel
// raises while the gateway serves. From then on every destructive call is
// refused before anything is sent (UNAVAILABLE, AUDIT_UNAVAILABLE), unlink
// jobs start nothing, a job under way sends no further step, and
// linkgateway_audit_ready reads 0 — until the disk
// is repaired and the trail has written and synced a record again, which
// the gateway does by itself. The trail then verifies.
//
// Needs root and loop devices. Where the machine has neither the test
// fails and says so: it does not skip.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/security/loop_file_system.h"
#include "tests/security/secure_gateway.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;

constexpr char kTokA[] = "tok-a-secret-7f3e91";

class FailingDiskAttackTest : public SecureGatewayTest {
 protected:
  void SetUp() override {
    auto mounted = LoopFileSystem::Mount(Dir());
    ASSERT_TRUE(mounted.ok())
        << "THIS MACHINE CANNOT MOUNT A FILE SYSTEM ON A LOOP DEVICE, so the failing-disk "
           "attack did not run (it needs root, loop devices and mkfs.ext4): "
        << mounted.status();
    disk_ = *std::move(mounted);
    SecureOptions options;
    options.audit_path = disk_->mount_point() + "/audit.jsonl";
    StartSecure(options);
    channel_ = Channel();
  }

  void TearDown() override {
    env_.reset();  // the gateway lets go of the disk first
    disk_.reset();
  }

  double Metric(std::string const& series) {
    auto metrics = Metrics();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    return tests::testing::MetricValue(metrics.value_or(""), series);
  }
  double AuditReady() { return Metric("linkgateway_audit_ready"); }

  // The unlink job `name` as its owner sees it.
  google::longrunning::Operation Operation(std::string const& name) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kTokA));
    google::longrunning::GetOperationRequest get;
    get.set_name(name);
    google::longrunning::Operation op;
    grpc::Status status =
        google::longrunning::Operations::NewStub(channel_)->GetOperation(&context, get, &op);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return op;
  }

  grpc::Status StartUnlink(std::string const& id) {
    v1::StartUnlinkRequest request;
    request.add_targets()->mutable_sms_voice_registration()->set_registration_id(id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kTokA));
    google::longrunning::Operation op;
    return v1::UnlinkService::NewStub(channel_)->StartUnlink(&context, request, &op);
  }

  std::unique_ptr<LoopFileSystem> disk_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(FailingDiskAttackTest, NothingIsSentWhileTheTrailCannotBeWrittenNorUntilItIsAgain) {
  for (int i = 1; i <= 5; ++i) SeedSms(absl::StrCat("reg-", i));
  ASSERT_TRUE(DeleteSms(channel_, kTokA, "reg-1").ok());
  ASSERT_EQ(SmsDeletes(), 1);
  EXPECT_EQ(AuditReady(), 1);

  ASSERT_TRUE(disk_->Fail().ok());
  for (int i = 2; i <= 4; ++i) {
    grpc::Status refused = DeleteSms(channel_, kTokA, absl::StrCat("reg-", i));
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
    EXPECT_EQ(tests::testing::ErrorInfoOf(refused).reason(), "AUDIT_UNAVAILABLE");
  }
  grpc::Status job = StartUnlink("reg-5");
  EXPECT_EQ(job.error_code(), grpc::StatusCode::UNAVAILABLE) << job.error_message();
  EXPECT_EQ(SmsDeletes(), 1) << "a delete reached the provider without an audit record";
  EXPECT_EQ(AuditReady(), 0);
  std::string log = env_->gateway().Output();
  EXPECT_THAT(log, HasSubstr("does not take data: Read-only file system; destructive calls are "
                             "refused until a record is written and synced again"));

  // The operator repairs the disk; the gateway writes its trail again by
  // itself (a "trail recovered" record) and only then sends deletes.
  ASSERT_TRUE(disk_->Repair().ok());
  ASSERT_TRUE(
      Eventually([&] { return DeleteSms(channel_, kTokA, "reg-2").ok(); }, absl::Seconds(20)));
  EXPECT_EQ(SmsDeletes(), 2);
  EXPECT_EQ(AuditReady(), 1);
  auto records = AuditRecords();
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records[0].trail_event().kind(), linkgateway::audit::v1::TRAIL_EVENT_KIND_RECOVERED);
  EXPECT_THAT(records[0].file_start().reason(), HasSubstr("recovered"));
  EXPECT_EQ(records.back().target().at("registration_id"), "reg-2");
  EXPECT_EQ(records.back().outcome().code(), "OK");
  auto verified = Verify();
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("intact:"));
}

TEST_F(FailingDiskAttackTest, AJobUnderWaySendsNothingWhileTheTrailCannotBeWritten) {
  // Steps paced by the provider's rate limit (a turn every 2 s): the job is
  // still under way when the disk fails after its first delete.
  SecureOptions options;
  options.audit_path = disk_->mount_point() + "/audit.jsonl";
  options.sms_voice_config = "delete_registration_rate_limit { requests_per_second: 0.5 burst: 1 }";
  StartSecure(options);
  channel_ = Channel();
  v1::StartUnlinkRequest start;
  for (int i = 1; i <= 3; ++i) {
    SeedSms(absl::StrCat("job-", i));
    start.add_targets()->mutable_sms_voice_registration()->set_registration_id(
        absl::StrCat("job-", i));
  }
  google::longrunning::Operation job;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kTokA));
    grpc::Status started = v1::UnlinkService::NewStub(channel_)->StartUnlink(&context, start, &job);
    ASSERT_TRUE(started.ok()) << started.error_message();
  }
  ASSERT_TRUE(Eventually([&] { return SmsDeletes() >= 1; }));
  ASSERT_EQ(SmsDeletes(), 1) << "the rate limit should hold the other steps back";

  ASSERT_TRUE(disk_->Fail().ok());
  ASSERT_TRUE(Eventually([&] { return AuditReady() == 0; }));
  // The engine's next steps are refused before sending (their refusals'
  // records fail too, and are counted: the test itself calls nothing now).
  double failures = Metric("linkgateway_audit_write_failures_total");
  ASSERT_TRUE(
      Eventually([&] { return Metric("linkgateway_audit_write_failures_total") >= failures + 2; },
                 absl::Seconds(20)))
      << "the engine did not try its next steps";
  EXPECT_EQ(SmsDeletes(), 1) << "a step's delete reached the provider without an audit record";
  EXPECT_FALSE(Operation(job.name()).done());

  // Repaired: the trail recovers by itself, then the job finishes.
  ASSERT_TRUE(disk_->Repair().ok());
  ASSERT_TRUE(Eventually([&] { return Operation(job.name()).done(); }, absl::Seconds(30)));
  EXPECT_EQ(SmsDeletes(), 3);
  EXPECT_FALSE(Operation(job.name()).has_error());
  int recorded = 0;
  for (auto const& record : AuditRecords()) {
    if (record.unlink_operation() != job.name()) continue;
    EXPECT_EQ(record.outcome().code(), "OK");
    ++recorded;
  }
  EXPECT_EQ(recorded, 2) << "the steps sent after the repair are in the new file";
  auto verified = Verify();
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

TEST_F(FailingDiskAttackTest, AFullDiskIsWrittenIntoTheReserveThenRefusedUntilThereIsSpace) {
  // Nothing left on the disk: the trail goes on in the space it reserved
  // ahead of its end (1 MiB) ...
  ASSERT_TRUE(disk_->Fill().ok());
  // 16 callers at once, so the trail's group commit fills the reserve in
  // seconds (each fdatasync on the loop device is slow).
  std::atomic<int> recorded{0};
  std::atomic<int> next{0};
  std::atomic<bool> closed{false};
  absl::Mutex mu;
  grpc::Status refused;
  std::vector<std::thread> callers;
  for (int t = 0; t < 16; ++t) {
    callers.emplace_back([&] {
      while (!closed.load() && next.load() < 20000) {
        // Registrations that do not exist: each is sent (404) and recorded.
        grpc::Status status = DeleteSms(channel_, kTokA, absl::StrCat("gone-", next++));
        if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
          ++recorded;
          continue;
        }
        absl::MutexLock lock(&mu);
        if (!closed.exchange(true) || refused.error_code() == grpc::StatusCode::UNAVAILABLE) {
          refused = status;  // the first, or worse than a refusal
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  // ... and once the reserve runs out, refuses before anything is sent.
  EXPECT_GT(recorded.load(), 100);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(refused).reason(), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(SmsDeletes(), recorded.load())
      << "a delete reached the provider without an audit record";
  EXPECT_EQ(AuditReady(), 0);
  EXPECT_EQ(DeleteSms(channel_, kTokA, "gone-again").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(SmsDeletes(), recorded.load());

  // Space again: the trail takes records by itself, and every one verifies.
  ASSERT_TRUE(disk_->Free().ok());
  ASSERT_TRUE(Eventually(
      [&] {
        return DeleteSms(channel_, kTokA, "gone-after").error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(20)));
  EXPECT_EQ(AuditReady(), 1);
  EXPECT_EQ(SmsDeletes(), recorded.load() + 1);
  auto verified = Verify();
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("intact:"));
}

}  // namespace
}  // namespace linkgateway::tests::security
