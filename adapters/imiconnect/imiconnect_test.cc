// DeleteAppProfile and GetProfileTransaction against the fake transport: the
// request each sends, and what each answer becomes (both envelopes, business
// codes riding on HTTP 200, text errors, transport failures). ParseEnvelope on
// its own. The profile key must never reach the caller.
#include "adapters/imiconnect/imiconnect.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/validation.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using adapters::testing::FakeHttpTransport;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;

constexpr char kBaseUrl[] = "https://api.imi.example.test";
constexpr char kProfileKey[] = "pk-unit-test-5f0c2a9e71d4b3";
constexpr char kMalformed[] = "UPSTREAM_MALFORMED_RESPONSE";

// Neither the message nor any detail carries the profile key.
void ExpectNoProfileKey(absl::Status const& status) {
  EXPECT_THAT(status.message(), Not(HasSubstr(kProfileKey)));
  EXPECT_THAT(adapters::errors::ToRpcStatus(status).SerializeAsString(),
              Not(HasSubstr(kProfileKey)));
}

v1::DeleteAppProfileRequest DeleteRequest(std::string app, std::string customer,
                                          std::string device, bool validate_only = false) {
  v1::DeleteAppProfileRequest request;
  auto* key = request.mutable_imiconnect();
  key->set_app_id(std::move(app));
  key->set_customer_id(std::move(customer));
  key->set_device_id(std::move(device));
  request.set_validate_only(validate_only);
  return request;
}

// Starts one attempt; the fake transport answers inline (or not at all when no
// responder is set, which the result then says).
template <typename Req, typename Resp>
absl::StatusOr<Resp> RunInline(adapters::operation::Operation<Req, Resp>& operation,
                               adapters::operation::CallContext const& context,
                               Req const& request) {
  std::optional<absl::StatusOr<Resp>> result;
  operation.Start(context, request, [&result](absl::StatusOr<Resp> r) { result = std::move(r); });
  if (!result) return absl::UnknownError("the operation did not finish inline");
  return *std::move(result);
}

class ImiconnectTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::DeleteAppProfileResponse> Delete(
      v1::DeleteAppProfileRequest const& request, std::string base_url = kBaseUrl) {
    DeleteAppProfile operation(Options{std::move(base_url), kProfileKey}, transport_);
    return RunInline(operation, context_, request);
  }
  absl::StatusOr<v1::DeleteAppProfileResponse> Delete() {
    return Delete(DeleteRequest("a_4815162342", "cust-1001", "dev-77"));
  }

  absl::StatusOr<v1::ProfileTransaction> Transaction(std::string transaction_id = "tx-status-1",
                                                std::string base_url = kBaseUrl) {
    GetProfileTransaction operation(Options{std::move(base_url), kProfileKey}, transport_);
    v1::GetProfileTransactionRequest request;
    request.mutable_imiconnect()->set_transaction_id(std::move(transaction_id));
    return RunInline(operation, context_, request);
  }

  // Every call is answered with this.
  void Answer(int http_status, std::string body) {
    adapters::transport::HttpResponse response = adapters::testing::Response(
        http_status, std::move(body), {{"content-type", "application/json"}});
    transport_.SetResponder(
        [response](adapters::transport::HttpRequest const&) { return response; });
  }

  // The request headers both operations send.
  void ExpectHeaders(adapters::transport::HttpRequest const& sent) {
    EXPECT_THAT(sent.headers, UnorderedElementsAre(Pair("key", kProfileKey),
                                                   Pair("Content-Type", "application/json"),
                                                   Pair("Accept", "application/json")));
  }

  adapters::testing::FakeHttpTransport transport_;
  adapters::operation::CallContext context_{absl::FromUnixSeconds(1'800'000'000), nullptr, nullptr};
};

// ---------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------

struct DeleteUrlCase {
  std::string name;
  std::string base_url;
  std::string app_id;
  std::string customer_id;
  std::string device_id;
  std::string url;  // what must be requested

  friend void PrintTo(DeleteUrlCase const& c, std::ostream* out) { *out << c.name; }
};

class DeleteAppProfileRequestTest : public ImiconnectTest,
                                    public ::testing::WithParamInterface<DeleteUrlCase> {};

TEST_P(DeleteAppProfileRequestTest, DeletesOnceWithTheProfileKey) {
  auto const& c = GetParam();
  Answer(200, R"({"response":{"code":"1001","description":"Queued","transid":"tx-1"}})");
  auto response = Delete(DeleteRequest(c.app_id, c.customer_id, c.device_id), c.base_url);
  ASSERT_TRUE(response.ok()) << response.status();

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  adapters::transport::HttpRequest const& sent = requests[0];
  EXPECT_EQ(sent.method, "DELETE");
  EXPECT_EQ(sent.url, c.url);
  ExpectHeaders(sent);
  EXPECT_EQ(sent.body, "");
  EXPECT_EQ(sent.deadline, context_.deadline);
  EXPECT_THAT(sent.url, Not(HasSubstr(kProfileKey)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteAppProfileRequestTest,
    ::testing::Values(
        DeleteUrlCase{"Plain", kBaseUrl, "a_4815162342", "cust-1001", "dev-77",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a_4815162342/cust-1001/dev-77"},
        DeleteUrlCase{"SpaceInApp", kBaseUrl, "a b", "cust-1001", "dev-77",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a%20b/cust-1001/dev-77"},
        DeleteUrlCase{"SlashInCustomer", kBaseUrl, "a_1", "x/y", "dev-77",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a_1/x%2Fy/dev-77"},
        DeleteUrlCase{"NonAsciiDevice", kBaseUrl, "a_1", "cust-1001", "ü",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a_1/cust-1001/%C3%BC"},
        DeleteUrlCase{"EveryIdAwkward", kBaseUrl, "a b", "x/y", "ü",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a%20b/x%2Fy/%C3%BC"},
        DeleteUrlCase{"QueryAndFragmentCharacters", kBaseUrl, "a?b=1", "c#d", "50%",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a%3Fb%3D1/c%23d/50%25"},
        DeleteUrlCase{"DotsInsideAnId", kBaseUrl, "a.b", "...", "dev.77",
                      "https://api.imi.example.test/resources/v2/customerappprofile/"
                      "a.b/.../dev.77"},
        DeleteUrlCase{"BaseWithTrailingSlash", "https://api.imi.example.test/", "a_1", "c", "d",
                      "https://api.imi.example.test/resources/v2/customerappprofile/a_1/c/d"},
        DeleteUrlCase{"BaseWithPath", "https://gateway.example.test:8443/imi", "a_1", "c", "d",
                      "https://gateway.example.test:8443/imi/resources/v2/customerappprofile/"
                      "a_1/c/d"}),
    [](auto const& info) { return info.param.name; });

// A profile key file replaced (as Kubernetes rotates a mounted secret) is
// used from the next request on, by both operations.
TEST_F(ImiconnectTest, RotatedProfileKeyFileIsUsedFromTheNextRequest) {
  std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/profile_key");
  std::ofstream(path, std::ios::trunc) << "K1-before\n";
  config::v1::SecretRef ref;
  ref.set_file(path);
  auto key = config::RotatingSecret::Load(ref, "imiconnect.profile_key");
  ASSERT_TRUE(key.ok()) << key.status();
  Answer(200, R"({"code":"1000","description":"Queued","transid":"tx-1"})");
  DeleteAppProfile deletes(Options{kBaseUrl, *key}, transport_);
  GetProfileTransaction reads(Options{kBaseUrl, *key}, transport_);
  ASSERT_TRUE(RunInline(deletes, context_, DeleteRequest("a_1", "c", "d")).ok());
  std::ofstream(path + ".next") << "K2-after\n";
  ASSERT_EQ(std::rename((path + ".next").c_str(), path.c_str()), 0);
  ASSERT_TRUE(RunInline(deletes, context_, DeleteRequest("a_1", "c", "d")).ok());
  v1::GetProfileTransactionRequest status;
  status.mutable_imiconnect()->set_transaction_id("tx-1");
  (void)RunInline(reads, context_, status);
  ASSERT_EQ(transport_.requests().size(), 3u);
  EXPECT_THAT(transport_.requests()[0].headers, ::testing::Contains(Pair("key", "K1-before")));
  EXPECT_THAT(transport_.requests()[1].headers, ::testing::Contains(Pair("key", "K2-after")));
  EXPECT_THAT(transport_.requests()[2].headers, ::testing::Contains(Pair("key", "K2-after")));
}

// Dry runs (validate_only) never reach an adapter: the server answers them
// after validation and this check of the configured tenant.
TEST_F(ImiconnectTest, ConfiguredTenantPassesPreflight) {
  DeleteAppProfile op(Options{"https://api.imi.example.test", "key"}, transport_);
  EXPECT_TRUE(op.Preflight().ok());
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(ImiconnectTest, PathChangingIdsAreRejectedBeforeSending) {
  for (bool validate_only : {false, true}) {
    for (auto const& request : {DeleteRequest("..", "c", "d", validate_only),
                                DeleteRequest("a", ".", "d", validate_only),
                                DeleteRequest("a", "c", "", validate_only)}) {
      auto response = Delete(request);
      EXPECT_EQ(response.status().code(), Code::kInvalidArgument) << request.DebugString();
    }
  }
  EXPECT_TRUE(transport_.requests().empty());
}

struct StatusUrlCase {
  std::string name;
  std::string base_url;
  std::string transaction_id;
  std::string url;

  friend void PrintTo(StatusUrlCase const& c, std::ostream* out) { *out << c.name; }
};

class GetProfileTransactionRequestTest : public ImiconnectTest,
                                         public ::testing::WithParamInterface<StatusUrlCase> {};

TEST_P(GetProfileTransactionRequestTest, GetsTheStatusWithTheProfileKey) {
  auto const& c = GetParam();
  Answer(200, R"({"code":"7600","description":"No result found"})");
  auto response = Transaction(c.transaction_id, c.base_url);
  ASSERT_TRUE(response.ok()) << response.status();

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  adapters::transport::HttpRequest const& sent = requests[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, c.url);
  ExpectHeaders(sent);
  EXPECT_EQ(sent.body, "");
  EXPECT_EQ(sent.deadline, context_.deadline);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GetProfileTransactionRequestTest,
    ::testing::Values(
        StatusUrlCase{"Uuid", kBaseUrl, "0c6f1d2e-9a8b-4c7d-8e6f-5a4b3c2d1e0f",
                      "https://api.imi.example.test/resources/v2/profile/status/"
                      "0c6f1d2e-9a8b-4c7d-8e6f-5a4b3c2d1e0f"},
        StatusUrlCase{"UnderscoresAndDashes", kBaseUrl, "tx_1-a",
                      "https://api.imi.example.test/resources/v2/profile/status/tx_1-a"},
        StatusUrlCase{"BaseWithTrailingSlash", "https://api.imi.example.test/", "tx-2",
                      "https://api.imi.example.test/resources/v2/profile/status/tx-2"}),
    [](auto const& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// DeleteAppProfile answers.
// ---------------------------------------------------------------------------

struct QueuedCase {
  std::string name;
  int http_status;
  std::string body;
  std::string transaction_id;
  std::string code;
  std::string description;

  friend void PrintTo(QueuedCase const& c, std::ostream* out) { *out << c.name; }
};

class DeleteAppProfileQueuedTest : public ImiconnectTest,
                                   public ::testing::WithParamInterface<QueuedCase> {};

TEST_P(DeleteAppProfileQueuedTest, ReturnsTheTransaction) {
  auto const& c = GetParam();
  Answer(c.http_status, c.body);
  auto response = Delete();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->validate_only());
  ASSERT_TRUE(response->has_imiconnect());
  EXPECT_EQ(response->imiconnect().transaction_id(), c.transaction_id);
  EXPECT_EQ(response->imiconnect().code(), c.code);
  EXPECT_EQ(response->imiconnect().description(), c.description);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeleteAppProfileQueuedTest,
    ::testing::Values(
        QueuedCase{"Legacy1001", 200,
                   R"({"response":{"code":"1001","description":"Queued","transid":"tx-a"}})",
                   "tx-a", "1001", "Queued"},
        QueuedCase{"Legacy1000", 200,
                   R"({"response":{"code":"1000","description":"Queued","transid":"tx-b"}})",
                   "tx-b", "1000", "Queued"},
        QueuedCase{"LegacyNumericCode", 200,
                   R"({"response":{"code":1001,"description":"Queued","transid":"tx-c"}})",
                   "tx-c", "1001", "Queued"},
        QueuedCase{"Current1000Accepted", 202,
                   R"({"TotalCount":1,"code":"1000","FailureCount":0,"Results":[{"code":"1000",)"
                   R"("customerId":"cust-1001","description":"QUEUED"}],"transid":"tx-d",)"
                   R"("description":"QUEUED","SuccessCount":1})",
                   "tx-d", "1000", "QUEUED"},
        QueuedCase{"Current1001", 200,
                   R"({"code":"1001","description":"Queued","transid":"tx-e","Extra":true})",
                   "tx-e", "1001", "Queued"}),
    [](auto const& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  int http_status;
  std::string body;
  absl::StatusCode code;
  adapters::errors::RetryClass retry;
  std::string reason;
  std::string upstream_code;   // ErrorInfo metadata upstreamCode; "" = absent
  std::string transaction_id;  // ErrorInfo metadata transactionId; "" = absent
  std::string message;         // part of the status message

  friend void PrintTo(ErrorCase const& c, std::ostream* out) { *out << c.name; }
};

void ExpectError(absl::Status const& status, ErrorCase const& c) {
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(adapters::errors::RetryClassOf(status), c.retry) << status;
  EXPECT_THAT(status.message(), HasSubstr(c.message));
  ExpectNoProfileKey(status);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(status, info)) << status;
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), "imiconnect.io");
  auto const& metadata = info.metadata();
  EXPECT_EQ(metadata.at("provider"), "IMIconnect");
  // An answer the adapter could not read is reported without the HTTP status.
  if (c.reason != kMalformed) {
    EXPECT_EQ(metadata.at("httpStatus"), absl::StrCat(c.http_status));
  }
  if (c.upstream_code.empty()) {
    EXPECT_EQ(metadata.count("upstreamCode"), 0u);
  } else {
    ASSERT_EQ(metadata.count("upstreamCode"), 1u);
    EXPECT_EQ(metadata.at("upstreamCode"), c.upstream_code);
  }
  if (c.transaction_id.empty()) {
    EXPECT_EQ(metadata.count("transactionId"), 0u);
  } else {
    ASSERT_EQ(metadata.count("transactionId"), 1u);
    EXPECT_EQ(metadata.at("transactionId"), c.transaction_id);
  }
}

// What both operations answer alike: business codes (on HTTP 200 unless said
// otherwise), in either envelope, and answers without a usable code.
std::vector<ErrorCase> SharedErrors() {
  return {
      {"Code7001", 200, R"({"response":{"code":"7001","description":"Authentication failed"}})",
       Code::kUnauthenticated, R::kNone, "UPSTREAM_CREDENTIALS_REJECTED", "7001", "",
       "Authentication failed"},
      {"Code7002", 200, R"({"code":"7002","description":"Service Key Missing"})",
       Code::kUnauthenticated, R::kNone, "UPSTREAM_CREDENTIALS_MISSING", "7002", "",
       "Service Key Missing"},
      {"Code7003", 200,
       R"({"response":{"code":"7003","description":"Mandatory parameters missing"}})",
       Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT", "7003", "",
       "Mandatory parameters missing"},
      {"Code7006WithTransid", 200,
       R"({"code":"7006","description":"Internal error","transid":"tx-7006"})",
       Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE", "7006", "tx-7006",
       "Internal error"},
      {"Code7010", 200,
       R"({"response":{"code":"7010","description":"Source IP is not allowed"}})",
       Code::kPermissionDenied, R::kNone, "UPSTREAM_SOURCE_IP_NOT_ALLOWED", "7010", "",
       "Source IP is not allowed"},
      {"Code7014WithTransid", 200,
       R"({"response":{"code":"7014","description":"app profile not found",)"
       R"("transid":"tx-7014"}})",
       Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND", "7014", "tx-7014",
       "app profile not found"},
      {"Code7018", 200, R"({"code":"7018","description":"profile is not linked"})",
       Code::kFailedPrecondition, R::kNone, "UPSTREAM_PROFILE_NOT_LINKED", "7018", "",
       "profile is not linked"},
      {"Code7020Numeric", 200, R"({"response":{"code":7020,"description":"TPS limit"}})",
       Code::kResourceExhausted, R::kThrottle, "UPSTREAM_THROTTLED", "7020", "", "TPS limit"},
      {"UnknownCode7999", 200, R"({"code":"7999","description":"Something new"})",
       Code::kUnknown, R::kNone, "UPSTREAM_UNEXPECTED_STATUS", "7999", "", "Something new"},
      // The code wins over the HTTP status it rides on.
      {"Code7014OnHttp404", 404, R"({"code":"7014","description":"app profile not found"})",
       Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND", "7014", "", "app profile not found"},
      // No JSON: the HTTP status decides and the text is passed on.
      {"TextOnHttp500", 500, "upstream exploded\n", Code::kUnavailable, R::kTransient,
       "UPSTREAM_UNAVAILABLE", "", "", "upstream exploded"},
      {"TextOnHttp403", 403, "<html>Forbidden</html>", Code::kPermissionDenied, R::kNone,
       "UPSTREAM_PERMISSION_DENIED", "", "", "<html>Forbidden</html>"},
      // A 2xx without a code is not an answer the gateway can read.
      {"TextOnHttp200", 200, "<html>maintenance</html>", Code::kInternal, R::kNone, kMalformed,
       "", "", "no response code"},
      {"NoCodeOnHttp200", 200, R"({"description":"Queued","transid":"tx-x"})", Code::kInternal,
       R::kNone, kMalformed, "", "", "no response code"},
  };
}

class DeleteAppProfileErrorTest : public ImiconnectTest,
                                  public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(DeleteAppProfileErrorTest, MapsTheAnswer) {
  Answer(GetParam().http_status, GetParam().body);
  auto response = Delete();
  ASSERT_FALSE(response.ok());
  ExpectError(response.status(), GetParam());
  EXPECT_EQ(transport_.requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Shared, DeleteAppProfileErrorTest, ::testing::ValuesIn(SharedErrors()),
                         [](auto const& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    DeleteOnly, DeleteAppProfileErrorTest,
    ::testing::Values(
        // Queued, but nothing to follow it with.
        ErrorCase{"LegacyQueuedWithoutTransid", 200,
                  R"({"response":{"code":"1001","description":"Queued"}})", Code::kInternal,
                  R::kNone, kMalformed, "", "", "without transid"},
        ErrorCase{"CurrentQueuedWithoutTransid", 202, R"({"code":"1000","description":"QUEUED"})",
                  Code::kInternal, R::kNone, kMalformed, "", "", "without transid"},
        // A queued code on a failed HTTP exchange is not an acceptance.
        ErrorCase{"QueuedCodeOnHttp500", 500,
                  R"({"response":{"code":"1000","description":"Queued","transid":"tx-500"}})",
                  Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE", "1000", "tx-500",
                  "Queued"},
        // A status-only code is not a deletion answer.
        ErrorCase{"StatusCodeOnDelete", 200, R"({"code":"7600","description":"No result found"})",
                  Code::kUnknown, R::kNone, "UPSTREAM_UNEXPECTED_STATUS", "7600", "",
                  "No result found"}),
    [](auto const& info) { return info.param.name; });

TEST_F(ImiconnectTest, DeleteTransportFailureIsAttributedToTheProvider) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kReceive,
                                                 "127.0.0.1", "reset");
  });
  auto response = Delete();
  ASSERT_EQ(response.status().code(), Code::kUnavailable) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("reset"));
  // It may have been applied: not provably unsent.
  EXPECT_FALSE(adapters::errors::ProvablyNotSent(response.status()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(response.status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_CONNECTION_LOST");
  EXPECT_EQ(info.domain(), "imiconnect.io");
  EXPECT_EQ(info.metadata().at("upstreamHost"), "127.0.0.1");
  EXPECT_EQ(info.metadata().at("provider"), "IMIconnect");
  ExpectNoProfileKey(response.status());
}

// ---------------------------------------------------------------------------
// GetProfileTransaction answers.
// ---------------------------------------------------------------------------

struct StatusCase {
  std::string name;
  int http_status;
  std::string body;
  std::string want;  // v1.ImiconnectTransactionStatus in text format

  friend void PrintTo(StatusCase const& c, std::ostream* out) { *out << c.name; }
};

class GetProfileTransactionStatusTest : public ImiconnectTest,
                                        public ::testing::WithParamInterface<StatusCase> {};

TEST_P(GetProfileTransactionStatusTest, DerivesTheState) {
  auto const& c = GetParam();
  Answer(c.http_status, c.body);
  auto response = Transaction("tx-status-1");
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_TRUE(response->has_imiconnect());
  auto want = adapters::testing::ParseText<v1::ImiconnectTransactionStatus>(c.want);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(response->imiconnect(), want))
      << "got:\n" << response->imiconnect().DebugString() << "want:\n" << want.DebugString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GetProfileTransactionStatusTest,
    ::testing::Values(
        StatusCase{"Succeeded", 200,
                   R"({"TotalCount":1,"code":"1000","FailureCount":0,"Results":[{"code":"1000",)"
                   R"("customerId":"cust-1","description":"SUCCESS","userId":"user-1"}],)"
                   R"("transid":"tx-status-1","description":"SUCCESS","SuccessCount":1})",
                   R"(transaction_id: "tx-status-1" state: PROFILE_TRANSACTION_STATE_SUCCEEDED
                      code: "1000" description: "SUCCESS"
                      total_count: 1 success_count: 1 failure_count: 0
                      results { code: "1000" description: "SUCCESS" customer_id: "cust-1"
                                user_id: "user-1" })"},
        // No result yet, or no such transaction: a state, not an error; the
        // id falls back to the one asked for.
        StatusCase{"PendingOrUnknown", 200, R"({"code":"7600","description":"No result found"})",
                   R"(transaction_id: "tx-status-1"
                      state: PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN
                      code: "7600" description: "No result found")"},
        StatusCase{"PendingInTheLegacyEnvelope", 200,
                   R"({"response":{"code":"7600","description":"No result found",)"
                   R"("transid":"tx-echoed"}})",
                   R"(transaction_id: "tx-echoed"
                      state: PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN
                      code: "7600" description: "No result found")"},
        StatusCase{"Failed", 200,
                   R"({"TotalCount":1,"code":"1002","FailureCount":1,"SuccessCount":0,)"
                   R"("description":"Partial success","transid":"tx-status-1","Results":[)"
                   R"({"code":"7014","description":"app profile not found",)"
                   R"("customerId":"cust-2"}]})",
                   R"(transaction_id: "tx-status-1" state: PROFILE_TRANSACTION_STATE_FAILED
                      code: "1002" description: "Partial success"
                      total_count: 1 success_count: 0 failure_count: 1
                      results { code: "7014" description: "app profile not found"
                                customer_id: "cust-2" })"},
        // Counts as strings; item codes and ids as numbers.
        StatusCase{"PartiallySucceeded", 200,
                   R"({"TotalCount":"3","code":"1002","FailureCount":"1","SuccessCount":"2",)"
                   R"("description":"Partial success","transid":"tx-status-1","Results":[)"
                   R"({"code":1000,"description":"SUCCESS","customerId":2021,"userId":88},)"
                   R"({"code":"1000","description":"SUCCESS","customerId":"2022"},)"
                   R"({"code":7015,"description":"customer already exists",)"
                   R"("customerId":2023}]})",
                   R"(transaction_id: "tx-status-1"
                      state: PROFILE_TRANSACTION_STATE_PARTIALLY_SUCCEEDED
                      code: "1002" description: "Partial success"
                      total_count: 3 success_count: 2 failure_count: 1
                      results { code: "1000" description: "SUCCESS" customer_id: "2021"
                                user_id: "88" }
                      results { code: "1000" description: "SUCCESS" customer_id: "2022" }
                      results { code: "7015" description: "customer already exists"
                                customer_id: "2023" })"},
        // "Partial success" without readable counts is never success.
        StatusCase{"PartialSuccessWithoutCountsIsNotSuccess", 200,
                   R"({"code":"1002","description":"Partial success","transid":"tx-status-1",)"
                   R"("FailureCount":"many"})",
                   R"(transaction_id: "tx-status-1"
                      state: PROFILE_TRANSACTION_STATE_PARTIALLY_SUCCEEDED
                      code: "1002" description: "Partial success")"},
        // Counts that fit no int32 are ignored, never cast; ids are kept
        // exactly up to 2^53 and dropped beyond.
        StatusCase{"OutOfRangeNumbersAreIgnored", 200,
                   R"({"TotalCount":1e12,"code":1000,"FailureCount":-3e9,)"
                   R"("SuccessCount":"99999999999","description":"SUCCESS",)"
                   R"("Results":[{"code":1e300,"description":"x","customerId":-1e300,)"
                   R"("userId":4294967296}]})",
                   R"(transaction_id: "tx-status-1" state: PROFILE_TRANSACTION_STATE_SUCCEEDED
                      code: "1000" description: "SUCCESS"
                      results { description: "x" user_id: "4294967296" })"},
        StatusCase{"SucceededOnHttp202", 202,
                   R"({"code":"1000","description":"SUCCESS","transid":"tx-status-1",)"
                   R"("TotalCount":2,"SuccessCount":2,"FailureCount":0})",
                   R"(transaction_id: "tx-status-1" state: PROFILE_TRANSACTION_STATE_SUCCEEDED
                      code: "1000" description: "SUCCESS"
                      total_count: 2 success_count: 2)"}),
    [](auto const& info) { return info.param.name; });

class GetProfileTransactionErrorTest : public ImiconnectTest,
                                       public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(GetProfileTransactionErrorTest, MapsTheAnswer) {
  Answer(GetParam().http_status, GetParam().body);
  auto response = Transaction();
  ASSERT_FALSE(response.ok());
  ExpectError(response.status(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Shared, GetProfileTransactionErrorTest,
                         ::testing::ValuesIn(SharedErrors()),
                         [](auto const& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    StatusOnly, GetProfileTransactionErrorTest,
    ::testing::Values(
        // A deletion's queued code is not a status answer.
        ErrorCase{"QueuedCodeOnStatus", 200,
                  R"({"response":{"code":"1001","description":"Queued","transid":"tx-q"}})",
                  Code::kUnknown, R::kNone, "UPSTREAM_UNEXPECTED_STATUS", "1001", "tx-q",
                  "Queued"},
        // A status code on a failed HTTP exchange is an error.
        ErrorCase{"PendingCodeOnHttp503", 503, R"({"code":"7600","description":"busy"})",
                  Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE", "7600", "",
                  "busy"}),
    [](auto const& info) { return info.param.name; });

TEST_F(ImiconnectTest, StatusTransportFailureIsAttributedToTheProvider) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kReceive,
                                                 "127.0.0.1", "reset");
  });
  auto response = Transaction();
  ASSERT_EQ(response.status().code(), Code::kUnavailable) << response.status();
  EXPECT_EQ(adapters::errors::RetryClassOf(response.status()), R::kTransient);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(response.status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_CONNECTION_LOST");
  EXPECT_EQ(info.domain(), "imiconnect.io");
  EXPECT_EQ(info.metadata().at("upstreamHost"), "127.0.0.1");
  EXPECT_EQ(info.metadata().at("provider"), "IMIconnect");
  ExpectNoProfileKey(response.status());
}

// ---------------------------------------------------------------------------
// ParseEnvelope.
// ---------------------------------------------------------------------------

struct EnvelopeCase {
  std::string name;
  std::string body;
  std::string code;
  std::string description;
  std::string transaction_id;
  int total_count;
  int success_count;
  int failure_count;
  // Each item: code, description, customer id, user id.
  std::vector<std::array<std::string, 4>> results;

  friend void PrintTo(EnvelopeCase const& c, std::ostream* out) { *out << c.name; }
};

class ParseEnvelopeTest : public ::testing::TestWithParam<EnvelopeCase> {};

TEST_P(ParseEnvelopeTest, ReadsBothShapes) {
  auto const& c = GetParam();
  auto envelope = ParseEnvelope(c.body);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->code, c.code);
  EXPECT_EQ(envelope->description, c.description);
  EXPECT_EQ(envelope->transaction_id, c.transaction_id);
  EXPECT_EQ(envelope->total_count, c.total_count);
  EXPECT_EQ(envelope->success_count, c.success_count);
  EXPECT_EQ(envelope->failure_count, c.failure_count);
  std::vector<std::array<std::string, 4>> results;
  for (auto const& item : envelope->results) {
    results.push_back({item.code(), item.description(), item.customer_id(), item.user_id()});
  }
  EXPECT_EQ(results, c.results);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseEnvelopeTest,
    ::testing::Values(
        EnvelopeCase{"Legacy",
                     R"({"response":{"code":"1001","description":"Queued","transid":"t-1"}})",
                     "1001", "Queued", "t-1", 0, 0, 0, {}},
        EnvelopeCase{"Current",
                     R"({"TotalCount":2,"code":"1002","FailureCount":1,"SuccessCount":1,)"
                     R"("transid":"t-2","description":"Partial success","Results":[)"
                     R"({"code":"1000","description":"SUCCESS","customerId":"c-1","userId":"u-1"},)"
                     R"({"code":"7015","description":"exists","customerId":"c-2"}]})",
                     "1002", "Partial success", "t-2", 2, 1, 1,
                     {{"1000", "SUCCESS", "c-1", "u-1"}, {"7015", "exists", "c-2", ""}}},
        EnvelopeCase{"NumbersForCodesAndIds",
                     R"({"code":7020,"description":"limit","Results":[)"
                     R"({"code":1000,"customerId":12345,"userId":-7}]})",
                     "7020", "limit", "", 0, 0, 0, {{"1000", "", "12345", "-7"}}},
        EnvelopeCase{"CountsAsStrings",
                     R"({"code":"1000","TotalCount":"4","SuccessCount":"3","FailureCount":"1"})",
                     "1000", "", "", 4, 3, 1, {}},
        EnvelopeCase{"UnreadableCountStrings",
                     R"({"code":"1000","TotalCount":"four","SuccessCount":"1.5",)"
                     R"("FailureCount":""})",
                     "1000", "", "", 0, 0, 0, {}},
        EnvelopeCase{"OutOfRangeNumbers",
                     R"({"code":1e20,"TotalCount":3e9,"SuccessCount":-3e9,)"
                     R"("FailureCount":1e308,"Results":[{"code":-1e20,"customerId":1e300}]})",
                     "", "", "", 0, 0, 0, {{"", "", "", ""}}},
        EnvelopeCase{"Int32Limits",
                     R"({"code":"1000","TotalCount":2147483647,"SuccessCount":-2147483648,)"
                     R"("FailureCount":"2147483648"})",
                     "1000", "", "", 2147483647, -2147483647 - 1, 0, {}},
        // A "response" that is not an object is not the legacy envelope.
        EnvelopeCase{"ResponseNotAnObject",
                     R"({"response":"oops","code":"7001","description":"Authentication failed"})",
                     "7001", "Authentication failed", "", 0, 0, 0, {}},
        EnvelopeCase{"ResultsNotAList", R"({"code":"1000","Results":{"code":"7014"}})", "1000",
                     "", "", 0, 0, 0, {}},
        EnvelopeCase{"NonStringTexts",
                     R"({"code":"7003","description":42,"transid":["t"],"Unknown":{"a":1}})",
                     "7003", "", "", 0, 0, 0, {}},
        EnvelopeCase{"EmptyObject", "{}", "", "", "", 0, 0, 0, {}}),
    [](auto const& info) { return info.param.name; });

TEST(ParseEnvelopeMalformedTest, NotJsonIsMalformed) {
  for (std::string body : {"", "<html>502</html>", "{\"code\":", "[1,2]", "\"1000\""}) {
    auto envelope = ParseEnvelope(body);
    ASSERT_EQ(envelope.status().code(), Code::kInternal) << body;
    google::rpc::ErrorInfo info;
    ASSERT_TRUE(adapters::errors::FindDetail(envelope.status(), info)) << body;
    EXPECT_EQ(info.reason(), kMalformed) << body;
    EXPECT_EQ(info.domain(), "imiconnect.io") << body;
  }
}

}  // namespace
}  // namespace linkgateway::adapters::imiconnect
