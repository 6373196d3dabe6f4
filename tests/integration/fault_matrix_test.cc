// The fault matrix (tests/testing/fault_matrix.h): every provider operation
// against every way its upstream can fail, through the real gateway binary
// and the HTTPS emulators on loopback. Each row names its fault and the gRPC
// code and ErrorInfo reason the caller must get, within its deadline, with
// the upstream sends bounded; after each operation's rows the gateway holds
// no more descriptors than before, and no secret appears in any answer, log
// line or trail.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_matrix.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using tests::testing::EmulatedGateway;
using tests::testing::Endpoint;
using tests::testing::FaultGateways;
using tests::testing::Operation;
using tests::testing::Row;

// Long enough for every retry the gateway makes (3 attempts, backoff, the
// Selling Partner plan's 1 rps), short enough for the rows the deadline ends.
constexpr absl::Duration kDeadline = absl::Seconds(4);
// What a caller may wait beyond its deadline (scheduling on 2 shared cores).
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(750);

class FaultMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto gateways = tests::testing::FaultGateways::Start();
    ASSERT_TRUE(gateways.ok()) << gateways.status();
    gateways_ = gateways->release();
  }
  static void TearDownTestSuite() {
    delete gateways_;
    gateways_ = nullptr;
  }

  // Plays every row of `name`'s table, then checks what the gateways kept.
  void RunMatrix(std::string const& name) {
    Operation operation;
    for (auto& each : tests::testing::AllOperations()) {
      if (each.name == name) operation = each;
    }
    ASSERT_EQ(operation.name, name);
    tests::testing::EmulatedGateway& main = gateways_->main();
    // A successful call of each operation opens the connections the gateway
    // keeps.
    EveryOperationSucceeds();
    int pid = main.gateway().pid();
    int descriptors_before = tests::testing::OpenDescriptors(pid);

    for (auto const& row : tests::testing::RowsFor(name)) Play(operation, row);
    // And the faults leave nothing behind that fails the next calls.
    EveryOperationSucceeds();

    // Connections the faults broke are closed, not kept: wait (bounded) for
    // the gateway to settle back to what it held before.
    int descriptors_after = tests::testing::OpenDescriptors(pid);
    for (absl::Time give_up = absl::Now() + absl::Seconds(10);
         descriptors_after > descriptors_before && absl::Now() < give_up;
         descriptors_after = tests::testing::OpenDescriptors(pid)) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    std::printf("descriptors: %d before the matrix, %d after\n", descriptors_before,
                descriptors_after);
    EXPECT_LE(descriptors_after, descriptors_before);

    for (tests::testing::EmulatedGateway* gateway : gateways_->all()) {
      std::string written = tests::testing::WrittenBy(*gateway);
      for (auto const& secret : tests::testing::Secrets()) {
        EXPECT_FALSE(absl::StrContains(written, secret)) << "a secret in the gateway's output";
      }
    }
  }

  // Plays each operation's success row, retrying (bounded) while a fault's
  // aftermath lasts (a shared token refresh runs on its own 10 s timeout).
  void EveryOperationSucceeds() {
    for (auto const& each : tests::testing::AllOperations()) {
      for (auto const& row : tests::testing::RowsFor(each.name)) {
        if (!row.success()) continue;
        for (absl::Time give_up = absl::Now() + absl::Seconds(20);;) {
          bool last = absl::Now() > give_up;
          if (Play(each, row, /*expect=*/last) == grpc::StatusCode::OK || last) break;
        }
      }
    }
  }

  // One call of `op` meeting `row`'s fault; with `expect`, checks the answer.
  grpc::StatusCode Play(Operation const& op, Row const& row, bool expect = true) {
    SCOPED_TRACE(absl::StrCat(op.name, " / ", row.fault));
    tests::testing::EmulatedGateway& main = gateways_->main();
    std::string id = op.id(++calls_);
    std::string credential;
    if (row.success()) {
      auto seeded = op.seed(main, id);
      EXPECT_TRUE(seeded.ok()) << seeded.status();
      credential = seeded.value_or("");
    } else if (row.endpoint == Endpoint::kEmulators) {
      EXPECT_TRUE(main.Control(op.emulator, "scenarios",
                               tests::testing::ScenarioFor(op, row, id, absl::Minutes(1)))
                      .ok());
      if (!op.prepare.empty()) {
        EXPECT_TRUE(main.Control(op.emulator, op.prepare, op.prepare_json).ok());
      }
    }
    std::string request = absl::StrCat(R"({"request":")", op.match(id), R"("})");
    int sends_before = Count(op, request);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    absl::Time start = absl::Now();
    grpc::Status status = op.call(*gateways_->at(row.endpoint).channel(), context, id, credential);
    absl::Duration took = absl::Now() - start;
    std::string reason = tests::testing::ErrorInfoOf(status).reason();
    EXPECT_TRUE(main.Control(op.emulator, "forget", request).ok());
    int sends = Count(op, request) - sends_before;
    std::printf("%-38s %-30s -> %-2d %-28s sends %d, %s\n", op.name.c_str(), row.fault.c_str(),
                static_cast<int>(status.error_code()), reason.c_str(), sends,
                absl::FormatDuration(took).c_str());

    if (!expect) return status.error_code();
    EXPECT_EQ(status.error_code(), row.code) << status.error_message();
    EXPECT_EQ(reason, row.reason) << status.error_message();
    EXPECT_LE(took, kDeadline + kDeadlineSlack);
    EXPECT_LE(sends, row.max_sends);
    std::string answer = status.error_message() + status.error_details();
    for (auto const& secret : tests::testing::Secrets()) {
      EXPECT_FALSE(absl::StrContains(answer, secret)) << "a secret in the answer";
    }
    return status.error_code();
  }

  // Requests the operation's emulator recorded that `request` matches.
  int Count(Operation const& op, std::string const& request) {
    auto counted = gateways_->main().Control(op.emulator, "count", request);
    EXPECT_TRUE(counted.ok());
    return counted.ok() ? static_cast<int>(counted->fields().at("count").number_value()) : 0;
  }

  static tests::testing::FaultGateways* gateways_;
  static inline std::uint64_t calls_ = 0;
};

tests::testing::FaultGateways* FaultMatrixTest::gateways_ = nullptr;

TEST_F(FaultMatrixTest, DashReplenishmentDeregister) { RunMatrix("dash_replenishment.deregister"); }

TEST_F(FaultMatrixTest, DashReplenishmentSubscriptionInfo) {
  RunMatrix("dash_replenishment.subscription_info");
}

TEST_F(FaultMatrixTest, SellingPartnerDeleteSubscription) {
  RunMatrix("selling_partner.delete_subscription");
}

TEST_F(FaultMatrixTest, LoginWithAmazonTokenAnswer) { RunMatrix("login_with_amazon.token"); }

TEST_F(FaultMatrixTest, SmsVoiceDeleteRegistration) { RunMatrix("sms_voice.delete_registration"); }

TEST_F(FaultMatrixTest, ImiconnectDeleteAppProfile) { RunMatrix("imiconnect.delete_app_profile"); }

TEST_F(FaultMatrixTest, ImiconnectGetProfileTransaction) {
  RunMatrix("imiconnect.get_profile_transaction");
}

}  // namespace
}  // namespace linkgateway::tests::integration
