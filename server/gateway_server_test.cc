// GatewayServer in-process with a controllable adapter: deadlines reach the
// adapter, and shutdown drains in-flight calls while refusing new ones.
#include "server/gateway_server.h"

#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.grpc.pb.h"

namespace linkgateway::server {
namespace {

using config::ApplyDefaults;
using config::ToDuration;

using Request = v1::DeleteRegistrationRequest;
using Response = v1::DeleteRegistrationResponse;

// Holds the first call until the test completes it; later calls fail at once.
class HeldOperation : public adapters::operation::Operation<Request, Response> {
 public:
  void Start(adapters::operation::CallContext const& context, Request const&,
             adapters::operation::Callback<Response> done) override {
    absl::MutexLock lock(&mu_);
    if (started_.HasBeenNotified()) {
      std::move(done)(absl::AbortedError("already holding a call"));
      return;
    }
    deadline_ = context.deadline;
    done_ = std::move(done);
    context.cancellation->OnCancel([this] { cancelled_.Notify(); });
    started_.Notify();
  }

  void Complete(absl::StatusOr<Response> result) {
    adapters::operation::Callback<Response> done;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(done_);
    }
    std::move(done)(std::move(result));
  }

  absl::Time deadline() {
    absl::MutexLock lock(&mu_);
    return deadline_;
  }

  absl::Notification started_;
  absl::Notification cancelled_;

 private:
  absl::Mutex mu_;
  absl::Time deadline_;
  adapters::operation::Callback<Response> done_;
};

class GatewayServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    operation_ = std::make_shared<HeldOperation>();
    providers_.table<Request>().Add(
        Request::kSmsVoice, [](Request const&) { return absl::OkStatus(); }, operation_);
    config_.set_listen_address("127.0.0.1:0");
    ApplyDefaults(config_);
    auto server = GatewayServer::Start(config_, providers_, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = v1::RegistrationService::NewStub(channel);
  }

  static Request ValidRequest() {
    Request request;
    request.mutable_sms_voice()->set_registration_id("registration-0123abcd");
    return request;
  }

  // Calls DeleteRegistration on a thread; the result arrives in `status`.
  std::thread CallInBackground(std::optional<absl::Duration> timeout, grpc::Status& status,
                               Response& response) {
    return std::thread([this, timeout, &status, &response] {
      grpc::ClientContext context;
      if (timeout) context.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
      status = stub_->DeleteRegistration(&context, ValidRequest(), &response);
    });
  }

  GatewayConfig config_;
  observability::metrics::GatewayMetrics metrics_;
  adapters::operation::ProviderRegistry providers_;
  std::shared_ptr<HeldOperation> operation_;
  std::unique_ptr<GatewayServer> server_;
  std::unique_ptr<v1::RegistrationService::Stub> stub_;
};

TEST(GatewayServerStartTest, AddressThatCannotBeBoundIsAnErrorNotACrash) {
  GatewayConfig config;
  config.set_listen_address("127.0.0.1:notaport");
  ApplyDefaults(config);
  adapters::operation::ProviderRegistry providers;
  observability::metrics::GatewayMetrics metrics;
  auto server = GatewayServer::Start(config, providers, metrics);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(server.status().message()),
              ::testing::HasSubstr("cannot listen on 127.0.0.1:notaport"));
}

TEST_F(GatewayServerTest, CallersDeadlineReachesTheAdapter) {
  grpc::Status status;
  Response response;
  absl::Time before = absl::Now();
  std::thread call = CallInBackground(absl::Seconds(7), status, response);
  EXPECT_TRUE(operation_->started_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for operation_->started_";
  absl::Duration left = operation_->deadline() - before;
  EXPECT_GT(left, absl::Seconds(6));
  EXPECT_LE(left, absl::Seconds(8));
  operation_->Complete(Response());
  call.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GatewayServerTest, NoDeadlineGetsTheConfiguredDefault) {
  grpc::Status status;
  Response response;
  absl::Time before = absl::Now();
  std::thread call = CallInBackground(std::nullopt, status, response);
  EXPECT_TRUE(operation_->started_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for operation_->started_";
  absl::Duration left = operation_->deadline() - before;
  EXPECT_GT(left, config::ToDuration(config_.default_deadline()) - absl::Seconds(1));
  EXPECT_LE(left, config::ToDuration(config_.default_deadline()) + absl::Seconds(1));
  operation_->Complete(absl::UnavailableError("upstream down"));
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "upstream down");
}

TEST_F(GatewayServerTest, ProviderWithoutAnAdapterIsUnimplementedNamingIt) {
  grpc::ClientContext context;
  Request request;
  request.mutable_dash_replenishment()->set_access_token("Atza|t");
  Response response;
  grpc::Status status = stub_->DeleteRegistration(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("\"dash_replenishment\""));
}

TEST_F(GatewayServerTest, CallerCancellationReachesTheAdapter) {
  grpc::ClientContext context;
  grpc::Status status;
  Response response;
  std::thread call([&] { status = stub_->DeleteRegistration(&context, ValidRequest(), &response); });
  EXPECT_TRUE(operation_->started_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for operation_->started_";
  context.TryCancel();
  EXPECT_TRUE(operation_->cancelled_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for operation_->cancelled_";
  operation_->Complete(absl::CancelledError("aborted upstream"));
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServerTest, ShutdownLetsInFlightCallsFinishAndRefusesNewOnes) {
  grpc::Status status;
  Response response;
  std::thread call = CallInBackground(absl::Seconds(30), status, response);
  EXPECT_TRUE(operation_->started_.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "timed out waiting for operation_->started_";

  std::thread shutdown([this] { server_->Shutdown(absl::Seconds(30)); });

  // New calls are refused while the in-flight one is still held. Shutdown
  // starts asynchronously, so ask until it has (bounded).
  grpc::Status refused;
  for (int attempt = 0; attempt < 100; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    Response ignored;
    refused = stub_->DeleteRegistration(&context, ValidRequest(), &ignored);
    if (refused.error_code() == grpc::StatusCode::UNAVAILABLE) break;
  }
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);

  Response done;
  done.mutable_sms_voice()->set_registration_id("registration-0123abcd");
  operation_->Complete(done);
  call.join();
  shutdown.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.sms_voice().registration_id(), "registration-0123abcd");
}

}  // namespace
}  // namespace linkgateway::server
