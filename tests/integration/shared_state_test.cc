// The real gateway binary against a real redis-server that fails: restarted
// empty (with and without persistence), its password wrong, missing or
// changed while the gateway runs. Findings 1-3 of issue 24, end to end:
// no request_id is sent twice, no fresh burst reaches the provider, a bad
// password is a clear start-up error or NOT_SERVING, never a silent
// fallback, and the health and gauges say what is so.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/redis_server.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using tests::testing::EmulatedGateway;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;
using tests::testing::MetricValue;
using tests::testing::RedisServer;

constexpr char kApp[] = "a_635736738702976937";
constexpr char kDependencyUp[] = R"(linkgateway_dependency_up{dependency="shared_state"})";

// Waits (bounded) until `check` holds.
template <typename Check>
bool Eventually(Check check, absl::Duration within = absl::Seconds(20)) {
  absl::Time give_up = absl::Now() + within;
  while (!check()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

class SharedStateTest : public ::testing::Test {
 protected:
  // Redis as given, then `replicas` gateways sharing it.
  void StartGateways(int replicas, std::string password_config = "") {
    EmulatedGatewayOptions options;
    options.replicas = replicas;
    options.amazon_args = {"--sp-rate", "1", "--sp-burst", "5"};  // the documented plan
    options.extra_config =
        absl::StrCat("shared_state { address: \"", redis_->address(), "\" replicas: ", replicas,
                     " ", password_config, " }\n",
                     // Refusals after a loss last this long (the promise).
                     "idempotency { retention { seconds: 600 } }\n");
    auto env = EmulatedGateway::Start(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  double Metric(int replica, std::string const& series) {
    auto text = env_->Metrics(replica);
    return text.ok() ? MetricValue(*text, series) : -2;
  }

  std::string Health(int replica, std::string const& service) {
    auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        env_->replica(replica).address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (!status.ok()) return status.error_message();
    return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  }

  void NewProfile(std::string const& device) {
    ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "profiles",
                              absl::StrCat(R"({"appId":")", kApp,
                                           R"(","customerId":"c-1","deviceId":")", device,
                                           R"("})"))
                    .ok());
  }

  grpc::Status DeleteProfile(int replica, std::string const& device,
                             std::string const& request_id,
                             v1::DeleteAppProfileResponse* response) {
    auto stub = v1::AppProfileService::NewStub(grpc::CreateChannel(
        env_->replica(replica).address(), grpc::InsecureChannelCredentials()));
    v1::DeleteAppProfileRequest request;
    request.mutable_imiconnect()->set_app_id(kApp);
    request.mutable_imiconnect()->set_customer_id("c-1");
    request.mutable_imiconnect()->set_device_id(device);
    request.set_request_id(request_id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return stub->DeleteAppProfile(&context, request, response);
  }

  int ImiconnectDeletes(std::string const& device) {
    int n = 0;
    for (auto const& request :
         env_->Received(Emulator::kImiconnect, "/resources/v2/customerappprofile/")) {
      if (absl::EndsWith(request.fields().at("path").string_value(), device)) ++n;
    }
    return n;
  }

  static std::string ReasonOf(grpc::Status const& status) {
    return ErrorInfoOf(status).reason();
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<EmulatedGateway> env_;
};

// Finding 1 of issue 24: with Redis killed and started again empty, the same
// request_id got replayed=false and IMIconnect a second DELETE.
TEST_F(SharedStateTest, ARedisRestartedEmptyRepeatsNoIrreversibleDelete) {
  auto redis = RedisServer::Start();  // no persistence, as the old fixture ran it
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  StartGateways(3);
  NewProfile("d-1");
  std::string const x = "3b241101-e2bb-4255-8caf-4136c566a962";
  v1::DeleteAppProfileResponse first, again;
  grpc::Status status = DeleteProfile(0, "d-1", x, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(DeleteProfile(1, "d-1", x, &again).ok());
  EXPECT_TRUE(again.replayed());

  ASSERT_TRUE(redis_->Restart().ok());  // kill -9, back empty
  // Every replica notices (a new run_id on a Redis without persistence).
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] { return Metric(i, kDependencyUp) == 0; })) << "replica " << i;
    EXPECT_EQ(Health(i, "linkgateway.dependency.shared_state"), "NOT_SERVING");
  }
  // The same id, on another replica: the first replica gave its record back
  // (or, had it not, the id would be refused): never a second DELETE.
  v1::DeleteAppProfileResponse after;
  status = DeleteProfile(2, "d-1", x, &after);
  if (status.ok()) {
    EXPECT_TRUE(after.replayed());
  } else {
    EXPECT_EQ(ReasonOf(status), "REQUEST_ID_UNVERIFIABLE") << status.error_message();
  }
  EXPECT_EQ(ImiconnectDeletes("d-1"), 1);
  // An id nobody has a record of may have been sent before the loss.
  NewProfile("d-2");
  v1::DeleteAppProfileResponse unknown;
  status = DeleteProfile(1, "d-2", "9b0a8c2e-0e4d-4c59-a1c5-8a5c1b2f3d4e", &unknown);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "REQUEST_ID_UNVERIFIABLE");
  EXPECT_THAT(status.error_message(), HasSubstr("cannot be vouched for"));
  EXPECT_EQ(ImiconnectDeletes("d-2"), 0);
  EXPECT_GE(Metric(1, R"(linkgateway_idempotency_refusals_total{reason="REQUEST_ID_UNVERIFIABLE"})"),
            1);
  // Without a request_id the caller takes it on itself: sent.
  status = DeleteProfile(1, "d-2", "", &unknown);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ImiconnectDeletes("d-2"), 1);
}

TEST_F(SharedStateTest, ADurableRedisRestartedLosesNoRecordAndRefusesNothing) {
  tests::testing::RedisServerOptions durable;
  durable.persistent = true;
  auto redis = RedisServer::Start(durable);
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  StartGateways(3);
  NewProfile("d-1");
  std::string const x = "5f0c2a8e-9d3b-4c1a-b7e6-2d4f8a1c3e5b";
  v1::DeleteAppProfileResponse first, after;
  ASSERT_TRUE(DeleteProfile(0, "d-1", x, &first).ok());
  ASSERT_TRUE(redis_->Restart().ok());  // kill -9, back with its append-only file
  grpc::Status status;
  ASSERT_TRUE(Eventually([&] {
    status = DeleteProfile(1, "d-1", x, &after);
    return status.error_code() != grpc::StatusCode::UNAVAILABLE;
  }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(after.replayed());
  EXPECT_EQ(ImiconnectDeletes("d-1"), 1);
  NewProfile("d-2");
  // Each replica reconnects on its own backoff; until then a request_id is
  // refused with nothing sent (UNAVAILABLE: retry with the same one).
  ASSERT_TRUE(Eventually([&] {
    status = DeleteProfile(2, "d-2", "1c9e6f4a-2b8d-4e3f-9a7c-5d1b0e8f2a6c", &after);
    return status.error_code() != grpc::StatusCode::UNAVAILABLE;
  }));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ImiconnectDeletes("d-2"), 1);
  EXPECT_TRUE(Eventually([&] {
    for (int i = 0; i < 3; ++i) {
      if (Metric(i, kDependencyUp) != 1) return false;
    }
    return true;
  })) << "a replica's shared_state dependency stayed down";
}

// Finding 2 of issue 24: a Redis restarted empty handed out the plan's full
// burst again: 6 requests in its first second, 7-17 HTTP 429s.
TEST_F(SharedStateTest, AnEmptiedRedisHandsOutNoFreshBurst) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  ASSERT_TRUE(redis_->AgeTheDataSet().ok());
  StartGateways(3);
  auto stub = [this](int replica) {
    return v1::SubscriptionService::NewStub(grpc::CreateChannel(
        env_->replica(replica).address(), grpc::InsecureChannelCredentials()));
  };
  auto delete_all = [&](std::string const& prefix, int count, absl::Duration timeout) {
    std::vector<grpc::Status> statuses(count);
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(env_->Control("subscriptions",
                                absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                             R"("subscriptionId":")", prefix, i, R"("})"))
                      .ok());
    }
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        v1::DeleteSubscriptionRequest request;
        request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
        request.mutable_selling_partner()->set_subscription_id(absl::StrCat(prefix, i));
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
        v1::DeleteSubscriptionResponse response;
        statuses[i] = stub(i % 3)->DeleteSubscription(&context, request, &response);
      });
    }
    for (auto& t : threads) t.join();
    int ok = 0;
    for (auto const& s : statuses) ok += s.ok() ? 1 : 0;
    return ok;
  };
  EXPECT_EQ(delete_all("before-", 5, absl::Milliseconds(800)), 5);  // the burst, spent
  ASSERT_TRUE(redis_->Restart().ok());                               // back empty
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Eventually([&] { return Metric(i, "linkgateway_shared_state_connected") == 1; }));
  }
  int ok = delete_all("after-", 6, absl::Milliseconds(1500));
  EXPECT_LE(ok, 2) << "a fresh burst after Redis came back";
  EXPECT_EQ(env_->StatusCount(Emulator::kAmazon, 429), 0) << "the gateway overran the plan";
}

// Finding 3 of issue 24: with a wrong password the gateway started SERVING,
// reconnected every 0.5 s for ever and ran every call on its own state.
TEST_F(SharedStateTest, AWrongRedisPasswordStopsTheStartSayingWhy) {
  auto redis = RedisServer::Start("correct-horse");
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  std::string secret = absl::StrCat(std::getenv("TEST_TMPDIR"), "/redis-password");
  std::ofstream(secret) << "wrong-horse\n";
  EmulatedGatewayOptions options;
  options.extra_config = absl::StrCat("shared_state { address: \"", redis_->address(),
                                      "\" password { file: \"", secret, "\" } }");
  auto env = EmulatedGateway::Start(options);
  ASSERT_FALSE(env.ok()) << "the gateway started with a password Redis refuses";
  EXPECT_THAT(env.status().message(), HasSubstr("exit code 2"));
  EXPECT_THAT(env.status().message(), HasSubstr("refused shared_state.password"));
  EXPECT_THAT(env.status().message(), ::testing::Not(HasSubstr("wrong-horse")));
}

// ... and with the password omitted the connected gauge read 1 while every
// command failed.
TEST_F(SharedStateTest, AMissingRedisPasswordStopsTheStartSayingWhy) {
  auto redis = RedisServer::Start("correct-horse");
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  EmulatedGatewayOptions options;
  options.extra_config = absl::StrCat("shared_state { address: \"", redis_->address(), "\" }");
  auto env = EmulatedGateway::Start(options);
  ASSERT_FALSE(env.ok()) << "the gateway started without the password Redis asks for";
  EXPECT_THAT(env.status().message(), HasSubstr("requires a password"));
}

TEST_F(SharedStateTest, APasswordChangedUnderARunningGatewayIsNotServingWithBackoff) {
  auto redis = RedisServer::Start("correct-horse");
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  std::string secret = absl::StrCat(std::getenv("TEST_TMPDIR"), "/redis-password-2");
  std::ofstream(secret) << "correct-horse\n";
  StartGateways(1, absl::StrCat("password { file: \"", secret, "\" }"));
  ASSERT_TRUE(Eventually([&] { return Metric(0, kDependencyUp) == 1; }));
  EXPECT_EQ(Health(0, "linkgateway.dependency.shared_state"), "SERVING");
  ASSERT_TRUE(redis_->SetPassword("battery-staple").ok());
  ASSERT_TRUE(redis_->Cli({"CLIENT", "KILL", "TYPE", "normal"}).ok());
  ASSERT_TRUE(Eventually([&] { return Metric(0, kDependencyUp) == 0; }));
  EXPECT_EQ(Health(0, "linkgateway.dependency.shared_state"), "NOT_SERVING");
  EXPECT_EQ(Metric(0, "linkgateway_shared_state_connected"), 0);
  EXPECT_EQ(Health(0, ""), "SERVING");  // deletes without a request_id still work
  absl::SleepFor(absl::Seconds(4));  // the backoff over time is the thing under test
  std::string output = env_->replica(0).Output();
  int refusals = 0;
  for (auto at = output.find("refused shared_state.password"); at != std::string::npos;
       at = output.find("refused shared_state.password", at + 1)) {
    ++refusals;
  }
  EXPECT_LE(refusals, 2) << "one line per attempt (0.5 s each) is " << output;
  EXPECT_GE(refusals, 1);
}

// Rotation: the password changed at Redis, then in the gateway's password
// file (replaced by rename, as a secret volume is): the gateway reconnects
// with the file's new password, without a restart.
TEST_F(SharedStateTest, APasswordRotatedInItsFileIsUsedAtTheNextReconnect) {
  auto redis = RedisServer::Start("correct-horse");
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = *std::move(redis);
  std::string secret = absl::StrCat(std::getenv("TEST_TMPDIR"), "/redis-password-3");
  std::ofstream(secret) << "correct-horse\n";
  StartGateways(1, absl::StrCat("password { file: \"", secret, "\" }"));
  ASSERT_TRUE(Eventually([&] { return Metric(0, kDependencyUp) == 1; }));
  ASSERT_TRUE(redis_->SetPassword("battery-staple").ok());
  ASSERT_TRUE(redis_->Cli({"CLIENT", "KILL", "TYPE", "normal"}).ok());
  // Reconnecting with the old password is refused ...
  ASSERT_TRUE(Eventually([&] { return Metric(0, kDependencyUp) == 0; }));
  EXPECT_EQ(Health(0, "linkgateway.dependency.shared_state"), "NOT_SERVING");
  // ... until the file says the new one.
  std::ofstream(secret + ".next") << "battery-staple\n";
  ASSERT_EQ(std::rename((secret + ".next").c_str(), secret.c_str()), 0);
  ASSERT_TRUE(Eventually([&] { return Metric(0, kDependencyUp) == 1; }));
  EXPECT_EQ(Health(0, "linkgateway.dependency.shared_state"), "SERVING");
  std::string output = env_->replica(0).Output();
  EXPECT_THAT(output, HasSubstr("shared_state.password: re-read the secret from " + secret));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("battery-staple")));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("correct-horse")));
}

}  // namespace
}  // namespace linkgateway::tests::integration
