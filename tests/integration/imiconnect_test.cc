// IMIconnect end to end: delete a customer's device app profile (queued,
// irreversible) and follow its transaction to the final status, through the
// gateway binary and the HTTPS emulator. Business errors ride on HTTP 200.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"
#include "tests/testing/metrics_text.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::EmulatedGatewayOptions;
using tests::testing::Emulator;
using tests::testing::ErrorInfoOf;

constexpr char kApp[] = "a_635736738702976937";

class ImiconnectTest : public tests::testing::EmulatedGatewayTest {
 protected:
  void Connected(std::shared_ptr<grpc::Channel> const& channel) override {
    stub_ = v1::AppProfileService::NewStub(channel);
  }

  void Seed(std::string const& customer, std::string const& device) {
    ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "profiles",
                              absl::StrCat(R"({"appId":")", kApp, R"(","customerId":")", customer,
                                           R"(","deviceId":")", device, R"("})"))
                    .ok());
  }

  void Scenario(std::string const& json) {
    ASSERT_TRUE(env_->Control(Emulator::kImiconnect, "scenarios", json).ok());
  }

  grpc::Status Delete(std::string const& customer, std::string const& device,
                      v1::DeleteAppProfileResponse* response, bool validate_only = false,
                      std::string const& request_id = "") {
    v1::DeleteAppProfileRequest request;
    request.set_request_id(request_id);
    request.mutable_imiconnect()->set_app_id(kApp);
    request.mutable_imiconnect()->set_customer_id(customer);
    request.mutable_imiconnect()->set_device_id(device);
    request.set_validate_only(validate_only);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->DeleteAppProfile(&context, request, response);
  }

  grpc::Status Status(std::string const& transaction_id, v1::ProfileTransaction* response) {
    v1::GetProfileTransactionRequest request;
    request.mutable_imiconnect()->set_transaction_id(transaction_id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->GetProfileTransaction(&context, request, response);
  }

  // Polls the status until it leaves PENDING_OR_UNKNOWN (at most 20 s).
  v1::ImiconnectTransactionStatus Final(std::string const& transaction_id) {
    absl::Time give_up = absl::Now() + absl::Seconds(20);
    v1::ProfileTransaction transaction;
    while (absl::Now() < give_up) {
      grpc::Status status = Status(transaction_id, &transaction);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok() || transaction.imiconnect().state() !=
                              v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));  // polling interval, not a wait for an outcome
    }
    return transaction.imiconnect();
  }

  int Deletes() {
    return static_cast<int>(
        env_->Received(Emulator::kImiconnect, "/resources/v2/customerappprofile/").size());
  }

  std::unique_ptr<v1::AppProfileService::Stub> stub_;
};

TEST_F(ImiconnectTest, DeletionIsQueuedThenFollowedToSuccess) {
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_args = {"--queue-delay-ms", "1500"};
  StartWith(options);
  Seed("9876", "4451830998765");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("9876", "4451830998765", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string transaction_id = response.imiconnect().transaction_id();
  EXPECT_FALSE(transaction_id.empty());
  EXPECT_EQ(response.imiconnect().code(), "1001");
  EXPECT_EQ(response.imiconnect().description(), "Queued");

  auto received = env_->Received(Emulator::kImiconnect, "/resources/");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].fields().at("method").string_value(), "DELETE");
  EXPECT_EQ(received[0].fields().at("path").string_value(),
            absl::StrCat("/resources/v2/customerappprofile/", kApp, "/9876/4451830998765"));
  auto const& headers = received[0].fields().at("headers").struct_value().fields();
  EXPECT_EQ(headers.at("key").string_value(), tests::testing::kImiconnectKey);
  EXPECT_EQ(headers.at("content-type").string_value(), "application/json");

  // Still queued: the status API has no result yet (7600).
  v1::ProfileTransaction transaction;
  ASSERT_TRUE(Status(transaction_id, &transaction).ok());
  EXPECT_EQ(transaction.imiconnect().state(), v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
  EXPECT_EQ(transaction.imiconnect().code(), "7600");

  auto done = Final(transaction_id);
  EXPECT_EQ(done.state(), v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  EXPECT_EQ(done.code(), "1000");
  EXPECT_EQ(done.transaction_id(), transaction_id);
  EXPECT_EQ(done.success_count(), 1);
  ASSERT_EQ(done.results_size(), 1);
  EXPECT_EQ(done.results(0).customer_id(), "9876");

  // The profile is gone now.
  status = Delete("9876", "4451830998765", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "7014");
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("httpStatus"), "200");
}

TEST_F(ImiconnectTest, CurrentEnvelopeIsUnderstoodToo) {
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_args = {"--envelope", "v6", "--queue-delay-ms", "0"};
  StartWith(options);
  Seed("c-1", "d-1");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.imiconnect().code(), "1000");
  EXPECT_EQ(Final(response.imiconnect().transaction_id()).state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  status = Delete("c-1", "d-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ImiconnectTest, SecondQueuedDeletionOfTheSameProfileFails) {
  Seed("c-1", "d-1");
  v1::DeleteAppProfileResponse first, second;
  ASSERT_TRUE(Delete("c-1", "d-1", &first).ok());
  ASSERT_TRUE(Delete("c-1", "d-1", &second).ok());  // both queued before either ran
  EXPECT_EQ(Final(first.imiconnect().transaction_id()).state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
  auto failed = Final(second.imiconnect().transaction_id());
  EXPECT_EQ(failed.state(), v1::PROFILE_TRANSACTION_STATE_FAILED);
  ASSERT_EQ(failed.results_size(), 1);
  EXPECT_EQ(failed.results(0).code(), "7014");
}

TEST_F(ImiconnectTest, UnknownTransactionIsPendingOrUnknown) {
  v1::ProfileTransaction transaction;
  ASSERT_TRUE(Status("00000000-0000-0000-0000-000000000000", &transaction).ok());
  EXPECT_EQ(transaction.imiconnect().state(), v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
}

TEST_F(ImiconnectTest, ValidateOnlyNeverCallsTheProvider) {
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response, /*validate_only=*/true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.validate_only());
  EXPECT_FALSE(response.has_imiconnect());
  EXPECT_EQ(Deletes(), 0);
}

TEST_F(ImiconnectTest, AwkwardIdsAreEscapedAtTheProvider) {
  Seed("kunde/ü 1", "gerät?#");
  v1::DeleteAppProfileResponse response;
  ASSERT_TRUE(Delete("kunde/ü 1", "gerät?#", &response).ok());
  EXPECT_EQ(env_->Received(Emulator::kImiconnect, "/resources/")[0].fields().at("path").string_value(),
            absl::StrCat("/resources/v2/customerappprofile/", kApp,
                         "/kunde%2F%C3%BC%201/ger%C3%A4t%3F%23"));
}

// Kubernetes rotates a mounted secret by writing a new timestamped directory
// and renaming a new `..data` symlink over the old one; the key's own path
// (key -> ..data/key) never changes.
class KubernetesSecretVolume {
 public:
  explicit KubernetesSecretVolume(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::create_symlink("..data/key", dir_ + "/key");
  }
  std::string path() const { return dir_ + "/key"; }
  void Write(std::string const& value) {
    std::string version = absl::StrCat("..version_", ++versions_);
    std::filesystem::create_directory(absl::StrCat(dir_, "/", version));
    std::ofstream(absl::StrCat(dir_, "/", version, "/key")) << value;
    std::filesystem::create_directory_symlink(version, dir_ + "/..data_tmp");
    std::filesystem::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  }

 private:
  std::string const dir_;
  int versions_ = 0;
};

TEST_F(ImiconnectTest, RotatedProfileKeyFileIsUsedFromTheNextDelete) {
  KubernetesSecretVolume volume(absl::StrCat(std::getenv("TEST_TMPDIR"), "/imiconnect-key"));
  volume.Write("rotation-key-K1");
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_key_file = volume.path();
  options.imiconnect_args = {"--queue-delay-ms", "0"};
  StartWith(options);
  // The tenant's key is K1 (the emulator is reset to its own at each start).
  ASSERT_TRUE(
      env_->Control(Emulator::kImiconnect, "profileKey", R"({"key":"rotation-key-K1"})").ok());
  Seed("c-1", "d-1");
  Seed("c-2", "d-2");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The key is regenerated at IMIconnect: K1 is refused from now on ...
  ASSERT_TRUE(
      env_->Control(Emulator::kImiconnect, "profileKey", R"({"key":"rotation-key-K2"})").ok());
  status = Delete("c-2", "d-2", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // ... and the mounted secret follows, without a restart.
  volume.Write("rotation-key-K2");
  status = Delete("c-2", "d-2", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Final(response.imiconnect().transaction_id()).state(),
            v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);

  auto received = env_->Received(Emulator::kImiconnect, "/resources/v2/customerappprofile/");
  ASSERT_EQ(received.size(), 3u);
  std::vector<std::string> keys;
  for (auto const& request : received) {
    keys.push_back(request.fields().at("headers").struct_value().fields().at("key").string_value());
  }
  EXPECT_THAT(keys,
              ::testing::ElementsAre("rotation-key-K1", "rotation-key-K1", "rotation-key-K2"));
}

TEST_F(ImiconnectTest, WrongKeyIsUnauthenticatedWithoutLeakingIt) {
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_key = "not-the-profile-key";
  StartWith(options);
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "7001");
  EXPECT_THAT(status.error_message(), HasSubstr("Authentication failed"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-the-profile-key")));
  EXPECT_THAT(status.error_details(), Not(HasSubstr("not-the-profile-key")));
  v1::ProfileTransaction transaction;
  EXPECT_EQ(Status("t-1", &transaction).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ImiconnectTest, SourceAddressOutsideTheAllowListIsPermissionDenied) {
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_args = {"--allow-ip", "::1"};  // the gateway calls from 127.0.0.1
  StartWith(options);
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_SOURCE_IP_NOT_ALLOWED");
}

TEST_F(ImiconnectTest, TenantRateLimitIsResourceExhausted) {
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_args = {"--tps", "1"};
  options.extra_config =
      "retry_policies { key: \"imiconnect.DeleteAppProfile\" value { max_attempts: 1 } }\n";
  StartWith(options);
  Seed("c-1", "d-1");
  Seed("c-2", "d-2");
  v1::DeleteAppProfileResponse response;
  ASSERT_TRUE(Delete("c-1", "d-1", &response).ok());
  grpc::Status status = Delete("c-2", "d-2", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "7020");
}

TEST_F(ImiconnectTest, DeletesAndStatusReadsShareTheTenantsTransactionsPerSecond) {
  // The Profile API counts every call against the tenant's TPS: with the
  // gateway's limit just under the tenant's (the margin absorbs arrival
  // jitter), deletes and status reads sent together wait for their turns
  // and none draws code 7020.
  tests::testing::EmulatedGatewayOptions options;
  options.imiconnect_args = {"--tps", "4", "--queue-delay-ms", "0"};
  options.imiconnect_config = "delete_rate_limit { requests_per_second: 3 burst: 1 }\n";
  options.extra_config =
      "retry_policies { key: \"imiconnect.DeleteAppProfile\" value { max_attempts: 1 } }\n"
      "retry_policies { key: \"imiconnect.GetProfileTransaction\" value { max_attempts: 1 } }\n";
  StartWith(options);
  constexpr int kProfiles = 6;
  for (int i = 0; i < kProfiles; ++i) Seed(absl::StrCat("c-", i), "d-1");
  std::vector<grpc::Status> deletes(kProfiles), reads(kProfiles);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProfiles; ++i) {
    threads.emplace_back([&, i] {
      v1::DeleteAppProfileResponse response;
      deletes[i] = Delete(absl::StrCat("c-", i), "d-1", &response);
      if (!deletes[i].ok()) return;
      v1::ProfileTransaction transaction;
      reads[i] = Status(response.imiconnect().transaction_id(), &transaction);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kProfiles; ++i) {
    EXPECT_TRUE(deletes[i].ok()) << deletes[i].error_message();
    EXPECT_TRUE(reads[i].ok()) << reads[i].error_message();
  }
  EXPECT_EQ(env_->StatusCount(Emulator::kImiconnect, std::string("throttled")), 0);
  auto metrics = env_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GE(tests::testing::MetricValue(
                *metrics, R"(linkgateway_rate_limit_wait_seconds_count{provider="imiconnect",)"
                          R"(operation="GetProfileTransaction",account="default"})"),
            1);
}

TEST_F(ImiconnectTest, ExplicitRefusalIsRetriedEvenThoughDeletesAreNot) {
  Seed("c-1", "d-1");
  Scenario(R"({"path":"customerappprofile","status":200,"times":1,)"
           R"("body":{"response":{"code":"7020","description":"You have reached the maximum transaction limit"}}})");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Deletes(), 2);
}

TEST_F(ImiconnectTest, LostAnswerIsNeverRetried) {
  Seed("c-1", "d-1");
  // Reuse a connection first: libcurl resends on a reused connection that
  // dies, unless the gateway forbids it for this irreversible call.
  v1::ProfileTransaction transaction;
  ASSERT_TRUE(Status("t-1", &transaction).ok());
  Scenario(R"({"path":"customerappprofile","dropResponse":true,"times":1})");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  // Not UNAVAILABLE: standard retry policies would repeat an irreversible call.
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN) << status.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("causeReason"),
            "UPSTREAM_CONNECTION_LOST");
  EXPECT_EQ(Deletes(), 1);
}

TEST_F(ImiconnectTest, ARetryWithTheSameRequestIdGetsTheRecordedOutcomeNotASecondDelete) {
  Seed("c-1", "d-1");
  v1::ProfileTransaction transaction;
  ASSERT_TRUE(Status("t-1", &transaction).ok());
  Scenario(R"({"path":"customerappprofile","dropResponse":true,"times":1})");
  constexpr char kId[] = "c0a8012a-0000-4000-8000-000000000001";
  v1::DeleteAppProfileResponse response;
  grpc::Status lost = Delete("c-1", "d-1", &response, false, kId);
  ASSERT_EQ(lost.error_code(), grpc::StatusCode::UNKNOWN) << lost.error_message();
  // The caller's retry, with the same id, as AIP-155 asks: the gateway does
  // not send the irreversible delete again; it answers what it knows.
  grpc::Status retry = Delete("c-1", "d-1", &response, false, kId);
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(tests::testing::ErrorInfoOf(retry).reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(tests::testing::ErrorInfoOf(retry).metadata().at("replayed"), "true");
  EXPECT_EQ(Deletes(), 1);
}

TEST_F(ImiconnectTest, TransientErrorAfterSendingIsNotRetried) {
  Seed("c-1", "d-1");
  Scenario(R"({"path":"customerappprofile","status":500,"times":1,)"
           R"("body":{"response":{"code":"7006","description":"Internal error"}}})");
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).metadata().at("upstreamCode"), "7006");
  EXPECT_EQ(Deletes(), 1);
}

struct CodeCase {
  std::string name;
  std::string code;
  grpc::StatusCode expected;
  std::string reason;
};

class ImiconnectCodeTest : public ImiconnectTest, public ::testing::WithParamInterface<CodeCase> {};

TEST_P(ImiconnectCodeTest, BusinessErrorOnHttp200IsMappedByItsCode) {
  auto const& c = GetParam();
  Scenario(absl::StrCat(R"({"path":"customerappprofile","status":200,"times":1,)",
                        R"("body":{"response":{"code":")", c.code, R"(","description":"x"}}})"));
  v1::DeleteAppProfileResponse response;
  grpc::Status status = Delete("c-1", "d-1", &response);
  EXPECT_EQ(status.error_code(), c.expected) << status.error_message();
  EXPECT_EQ(tests::testing::ErrorInfoOf(status).reason(), c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    Documented, ImiconnectCodeTest,
    ::testing::Values(
        CodeCase{"AuthenticationFailed7001", "7001", grpc::StatusCode::UNAUTHENTICATED,
                 "UPSTREAM_CREDENTIALS_REJECTED"},
        CodeCase{"KeyMissing7002", "7002", grpc::StatusCode::UNAUTHENTICATED,
                 "UPSTREAM_CREDENTIALS_MISSING"},
        CodeCase{"ParametersMissing7003", "7003", grpc::StatusCode::INVALID_ARGUMENT,
                 "UPSTREAM_INVALID_ARGUMENT"},
        CodeCase{"SourceIp7010", "7010", grpc::StatusCode::PERMISSION_DENIED,
                 "UPSTREAM_SOURCE_IP_NOT_ALLOWED"},
        CodeCase{"NotFound7014", "7014", grpc::StatusCode::NOT_FOUND, "UPSTREAM_NOT_FOUND"},
        CodeCase{"Unknown", "7999", grpc::StatusCode::UNKNOWN, "UPSTREAM_UNEXPECTED_STATUS"}),
    [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace linkgateway::tests::integration
