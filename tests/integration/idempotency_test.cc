// Deletes with a request_id (AIP-155) on one gateway, in-process records:
// a repeat is answered from the record without a second upstream call, a
// different request with the same id is refused, a repeat while the first
// runs is ABORTED, and the audit trail says which answer was replayed. (The
// same across replicas, with Redis: //tests/integration:replicas_test.)
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;
using tests::testing::FindDetail;

constexpr char kId[] = "7d444840-9dc0-11d1-b245-5ffdce74fad2";

class IdempotencyTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    stub_ = v1::SubscriptionService::NewStub(channel);
  }

  void NewSubscription(std::string const& id) {
    ASSERT_TRUE(env_->Control("subscriptions",
                              absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                           R"("subscriptionId":")", id, R"("})"))
                    .ok());
  }

  grpc::Status Delete(std::string const& subscription, std::string const& request_id,
                      v1::DeleteSubscriptionResponse* response) {
    v1::DeleteSubscriptionRequest request;
    request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
    request.mutable_selling_partner()->set_subscription_id(subscription);
    request.set_request_id(request_id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->DeleteSubscription(&context, request, response);
  }

  int Deletes() {
    return static_cast<int>(env_->Received(Emulator::kAmazon, "/notifications/").size());
  }

  std::string Audit() {
    std::ifstream in(env_->audit_path());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<v1::SubscriptionService::Stub> stub_;
};

TEST_F(IdempotencyTest, ARepeatIsAnsweredFromTheRecordWithoutASecondDelete) {
  NewSubscription("sub-1");
  v1::DeleteSubscriptionResponse first, repeat;
  ASSERT_TRUE(Delete("sub-1", kId, &first).ok());
  EXPECT_FALSE(first.replayed());
  grpc::Status status = Delete("sub-1", kId, &repeat);
  ASSERT_TRUE(status.ok()) << status.error_message();  // not NOT_FOUND: the delete worked
  EXPECT_TRUE(repeat.replayed());
  EXPECT_EQ(repeat.selling_partner().upstream_request_id(),
            first.selling_partner().upstream_request_id());
  EXPECT_EQ(Deletes(), 1);
  std::string audit = Audit();
  EXPECT_THAT(audit, HasSubstr(absl::StrCat(R"("idempotency_id":")", kId, R"(")")));
  EXPECT_THAT(audit, HasSubstr(R"("replayed":true)"));
}

TEST_F(IdempotencyTest, ARecordedErrorIsReplayedAndSaysSo) {
  v1::DeleteSubscriptionResponse response;
  grpc::Status first = Delete("never-existed", kId, &response);
  ASSERT_EQ(first.error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status repeat = Delete("never-existed", kId, &response);
  EXPECT_EQ(repeat.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(repeat.error_message(), first.error_message());
  EXPECT_EQ(tests::testing::ErrorInfoOf(repeat).reason(), "UPSTREAM_NOT_FOUND");
  EXPECT_EQ(tests::testing::ErrorInfoOf(repeat).metadata().at("replayed"), "true");
  EXPECT_EQ(Deletes(), 1);
}

TEST_F(IdempotencyTest, TheSameIdForADifferentRequestIsRefused) {
  NewSubscription("sub-1");
  NewSubscription("sub-2");
  v1::DeleteSubscriptionResponse response;
  ASSERT_TRUE(Delete("sub-1", kId, &response).ok());
  grpc::Status reused = Delete("sub-2", kId, &response);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(tests::testing::ErrorInfoOf(reused).reason(), "REQUEST_ID_REUSED");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(FindDetail(reused, bad));
  EXPECT_EQ(bad.field_violations(0).field(), "request_id");
  EXPECT_EQ(Deletes(), 1);  // sub-2 untouched
}

TEST_F(IdempotencyTest, ARequestIdMustBeAUuid) {
  v1::DeleteSubscriptionResponse response;
  grpc::Status status = Delete("sub-1", "retry-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(FindDetail(status, bad));
  EXPECT_EQ(bad.field_violations(0).field(), "request_id");
  EXPECT_EQ(Deletes(), 0);
}

TEST_F(IdempotencyTest, ARepeatWhileTheFirstRunsIsAbortedWithRetryAdvice) {
  NewSubscription("sub-1");
  ASSERT_TRUE(env_->Control("scenarios",
                            R"({"path":"^/notifications/","delayMs":1500,"times":1})").ok());
  grpc::Status first_status;
  std::thread first([&] {
    v1::DeleteSubscriptionResponse response;
    first_status = Delete("sub-1", kId, &response);
  });
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Deletes() < 1 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  v1::DeleteSubscriptionResponse response;
  grpc::Status repeat = Delete("sub-1", kId, &response);
  first.join();
  EXPECT_TRUE(first_status.ok()) << first_status.error_message();
  EXPECT_EQ(repeat.error_code(), grpc::StatusCode::ABORTED) << repeat.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(repeat).reason(), "REQUEST_IN_PROGRESS");
  google::rpc::RetryInfo retry;
  EXPECT_TRUE(FindDetail(repeat, retry));
  EXPECT_EQ(Deletes(), 1);
  // Once the first finished, the repeat gets its outcome.
  ASSERT_TRUE(Delete("sub-1", kId, &response).ok());
  EXPECT_TRUE(response.replayed());
}

TEST_F(IdempotencyTest, WithoutARequestIdEveryCallGoesUpstream) {
  NewSubscription("sub-1");
  v1::DeleteSubscriptionResponse response;
  ASSERT_TRUE(Delete("sub-1", "", &response).ok());
  EXPECT_EQ(Delete("sub-1", "", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Deletes(), 2);
}

}  // namespace
}  // namespace linkgateway::tests::integration
