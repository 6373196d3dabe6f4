// Three gateway replicas sharing state through a real redis-server, behind
// the C++ client's round-robin over their three addresses, against the
// Amazon emulator enforcing the documented SP-API plan (1 request/s, burst
// 5): the plan holds for the three together, one grantless token serves all
// of them, a request_id's record is seen by every replica, and when Redis
// goes away each replica keeps to its share until it is back.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "clients/cpp/client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/redis_server.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using tests::testing::EmulatedGateway;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::MetricValue;

constexpr int kReplicas = 3;
constexpr char kSubscriptionRpcs[] =
    R"(linkgateway_rpcs_total{grpc_service="linkgateway.v1.SubscriptionService",)"
    R"(grpc_method="DeleteSubscription",provider="selling_partner",grpc_code=")";

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As the gateway asks for its request_id records: every write on disk
    // before it is acknowledged (a restart loses none).
    tests::testing::RedisServerOptions durable;
    durable.persistent = true;
    auto redis = tests::testing::RedisServer::Start(durable);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    // A Redis that has kept its data for long: the plan's burst is there.
    ASSERT_TRUE(redis_->AgeTheDataSet().ok());
    tests::testing::EmulatedGatewayOptions options;
    options.replicas = kReplicas;
    options.amazon_args = {"--sp-rate", "1", "--sp-burst", "5"};  // the documented plan
    options.extra_config = absl::StrCat("shared_state { address: \"", redis_->address(),
                                        "\" replicas: ", kReplicas, " }");
    auto env = tests::testing::EmulatedGateway::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    std::vector<std::string> addresses;
    for (int i = 0; i < kReplicas; ++i) addresses.push_back(env_->replica(i).address());
    // One client over the three replicas, as a service would use them.
    clients::cpp::ClientOptions client_options;
    client_options.target = absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
    client_options.max_attempts = 1;  // the test counts every attempt itself
    auto client = clients::cpp::Client::Create(client_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    WarmUp();
  }

  // Round-robin uses the replicas it is connected to: dry runs (free, no
  // upstream call) until each replica has answered one.
  void WarmUp() {
    std::string const dry_runs = absl::StrCat(kSubscriptionRpcs, "OK\",account=\"default\"}");
    absl::Time give_up = absl::Now() + absl::Seconds(15);
    for (;;) {
      v1::DeleteSubscriptionRequest request = Request("warm-up");
      request.set_validate_only(true);
      ASSERT_TRUE(client_->DeleteSubscription(request, absl::Seconds(5)).ok());
      bool all = true;
      for (int i = 0; i < kReplicas; ++i) all = all && Metric(i, dry_runs) >= 1;
      if (all) break;
      ASSERT_LT(absl::Now(), give_up) << "the client never reached every replica";
    }
    baseline_.clear();
    for (int i = 0; i < kReplicas; ++i) baseline_.push_back(Metric(i, dry_runs));
  }

  void NewSubscription(std::string const& id) {
    ASSERT_TRUE(env_->Control("subscriptions",
                              absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                           R"("subscriptionId":")", id, R"("})"))
                    .ok());
  }

  static v1::DeleteSubscriptionRequest Request(std::string const& id,
                                               std::string const& request_id = "") {
    v1::DeleteSubscriptionRequest request;
    request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
    request.mutable_selling_partner()->set_subscription_id(id);
    request.set_request_id(request_id);
    return request;
  }

  // `count` deletes at once, through the round-robin client (each with a
  // fresh request_id); the statuses. `with_request_ids` false: straight to
  // the replicas in turn, without one (while Redis is unreachable a
  // request_id cannot be checked against the other replicas' records, and
  // the call is refused).
  std::vector<absl::Status> DeleteAtOnce(std::string const& prefix, int count,
                                         absl::Duration timeout, bool with_request_ids = true) {
    std::vector<absl::Status> statuses(count);
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        if (with_request_ids) {
          statuses[i] = client_->DeleteSubscription(Request(absl::StrCat(prefix, i)), timeout)
                            .status();
          return;
        }
        auto stub = v1::SubscriptionService::NewStub(grpc::CreateChannel(
            env_->replica(i % kReplicas).address(), grpc::InsecureChannelCredentials()));
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
        v1::DeleteSubscriptionResponse response;
        grpc::Status status =
            stub->DeleteSubscription(&context, Request(absl::StrCat(prefix, i)), &response);
        statuses[i] = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                   status.error_message());
      });
    }
    for (auto& t : threads) t.join();
    return statuses;
  }

  int TooManyRequests() { return env_->StatusCount(Emulator::kAmazon, 429); }

  // A replica's metric (-1 when absent).
  double Metric(int replica, std::string const& series) {
    auto text = env_->Metrics(replica);
    EXPECT_TRUE(text.ok()) << text.status();
    return tests::testing::MetricValue(text.value_or(""), series);
  }

  // Waits (bounded) until every replica's Redis connection is `up`.
  bool AllConnected(bool up) {
    absl::Time give_up = absl::Now() + absl::Seconds(15);
    for (;;) {
      bool all = true;
      for (int i = 0; i < kReplicas; ++i) {
        all = all && Metric(i, "linkgateway_shared_state_connected") == (up ? 1 : 0);
      }
      if (all) return true;
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::unique_ptr<tests::testing::RedisServer> redis_;
  std::unique_ptr<tests::testing::EmulatedGateway> env_;
  std::unique_ptr<clients::cpp::Client> client_;
  std::vector<double> baseline_;  // each replica's OK count after the warm-up
};

TEST_F(ReplicasTest, ThreeReplicasKeepOnePlanAndShareOneToken) {
  ASSERT_TRUE(AllConnected(true));
  constexpr int kCalls = 60;
  for (int i = 0; i < kCalls; ++i) NewSubscription(absl::StrCat("sub-", i));
  auto statuses = DeleteAtOnce("sub-", kCalls, absl::Seconds(3));
  int ok = 0, limited = 0;
  for (auto const& status : statuses) {
    if (status.ok()) {
      ++ok;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status.message();
    auto details = clients::cpp::Explain(status);
    EXPECT_EQ(details.reason, "CLIENT_RATE_LIMITED");
    EXPECT_TRUE(details.retry_delay.has_value()) << "a refusal says when to come back";
    ++limited;
  }
  EXPECT_EQ(ok + limited, kCalls);
  // The burst, then one a second for the 3 s the calls could wait.
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 9);
  EXPECT_EQ(TooManyRequests(), 0) << "the three replicas overran the plan";
  EXPECT_EQ(env_->Received(Emulator::kAmazon, "/auth/o2/token").size(), 1u)
      << "each replica fetched its own grantless token";
  // The round-robin client spread the calls over all three.
  for (int i = 0; i < kReplicas; ++i) {
    double served =
        Metric(i, absl::StrCat(kSubscriptionRpcs, "OK\",account=\"default\"}")) - baseline_[i] +
        Metric(i, absl::StrCat(kSubscriptionRpcs, "RESOURCE_EXHAUSTED\",account=\"default\"}"));
    EXPECT_GE(served, 10) << "replica " << i;
    EXPECT_EQ(Metric(i, R"(linkgateway_shared_state_fallbacks_total{what="rate_limit"})"), -1)
        << "replica " << i << " fell back";
  }
}

TEST_F(ReplicasTest, ARequestIdIsSeenByEveryReplica) {
  NewSubscription("sub-a");
  auto stub = [this](int replica) {
    return v1::SubscriptionService::NewStub(grpc::CreateChannel(
        env_->replica(replica).address(), grpc::InsecureChannelCredentials()));
  };
  std::string const id = clients::cpp::NewRequestId();
  auto call = [&](int replica, v1::DeleteSubscriptionResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub(replica)->DeleteSubscription(&context, Request("sub-a", id), response);
  };
  v1::DeleteSubscriptionResponse on_a, on_b;
  ASSERT_TRUE(call(0, &on_a).ok());
  grpc::Status status = call(1, &on_b);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(on_b.replayed());
  EXPECT_EQ(on_b.selling_partner().upstream_request_id(),
            on_a.selling_partner().upstream_request_id());
  EXPECT_EQ(env_->Received(Emulator::kAmazon, "/notifications/").size(), 1u);
  // The same id for another subscription, on the third replica: refused.
  NewSubscription("sub-b");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::DeleteSubscriptionResponse response;
  EXPECT_EQ(stub(2)->DeleteSubscription(&context, Request("sub-b", id), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(env_->Received(Emulator::kAmazon, "/notifications/").size(), 1u);
}

TEST_F(ReplicasTest, ALostImiconnectAnswerRetriedOnAnotherReplicaIsNotDeletedTwice) {
  ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "profiles",
                            R"({"appId":"a_635736738702976937","customerId":"c-1","deviceId":"d-1"})")
                  .ok());
  ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "scenarios",
                            R"({"path":"customerappprofile","dropResponse":true,"times":1})")
                  .ok());
  v1::DeleteAppProfileRequest request;
  request.mutable_imiconnect()->set_app_id("a_635736738702976937");
  request.mutable_imiconnect()->set_customer_id("c-1");
  request.mutable_imiconnect()->set_device_id("d-1");
  request.set_request_id(clients::cpp::NewRequestId());
  std::vector<grpc::Status> statuses;
  for (int replica : {0, 1}) {
    auto stub = v1::AppProfileService::NewStub(grpc::CreateChannel(
        env_->replica(replica).address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::DeleteAppProfileResponse response;
    statuses.push_back(stub->DeleteAppProfile(&context, request, &response));
  }
  EXPECT_EQ(statuses[0].error_code(), grpc::StatusCode::UNKNOWN);  // the answer was lost
  EXPECT_EQ(statuses[1].error_code(), grpc::StatusCode::UNKNOWN);  // recorded, not re-sent
  EXPECT_THAT(statuses[1].error_message(), HasSubstr(statuses[0].error_message()));
  EXPECT_EQ(env_->Received(Emulator::kImiconnect, "/resources/v2/customerappprofile/").size(), 1u);
}

TEST_F(ReplicasTest, WithoutRedisEachReplicaKeepsToItsShareAndSharesAgainWhenItIsBack) {
  ASSERT_TRUE(AllConnected(true));
  for (int i = 0; i < 12; ++i) NewSubscription(absl::StrCat("down-", i));
  redis_->Stop();
  ASSERT_TRUE(AllConnected(false));
  // Each replica: 1/3 request/s, burst 1, from empty. In 4.5 s each can
  // start one call (at ~3 s); no burst reaches the provider.
  auto statuses = DeleteAtOnce("down-", 12, absl::Milliseconds(4500), /*with_request_ids=*/false);
  int ok = 0;
  for (auto const& status : statuses) {
    if (status.ok()) ++ok;
    else EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  }
  EXPECT_GE(ok, 1);
  EXPECT_LE(ok, kReplicas);
  EXPECT_EQ(TooManyRequests(), 0);
  double fallbacks = 0;
  for (int i = 0; i < kReplicas; ++i) {
    fallbacks += std::max(0.0, Metric(i, R"(linkgateway_shared_state_fallbacks_total{what="rate_limit"})"));
    EXPECT_THAT(env_->replica(i).Output(), HasSubstr("keeps to its share"));
  }
  EXPECT_GE(fallbacks, 12);

  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(AllConnected(true));
  NewSubscription("back-0");
  auto back = client_->DeleteSubscription(Request("back-0"), absl::Seconds(10));
  EXPECT_TRUE(back.ok()) << back.status();
  double after = 0;
  for (int i = 0; i < kReplicas; ++i) {
    after += std::max(0.0, Metric(i, R"(linkgateway_shared_state_fallbacks_total{what="rate_limit"})"));
  }
  EXPECT_EQ(after, fallbacks) << "the call after Redis came back was limited locally";
}

}  // namespace
}  // namespace linkgateway::tests::integration
