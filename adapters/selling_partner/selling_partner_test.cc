// The Selling Partner API's DeleteSubscription against the fake transport and
// a fake token source: the request each input builds, how the answers are
// read, what each documented error becomes, and the one repeat after a
// rejected token, wired as in factory.cc on a manual clock (no sleeps).
#include "adapters/selling_partner/selling_partner.h"

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "adapters/auth/access_token_source.h"
#include "adapters/auth/lwa_token_source.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/policies/rate_limited_operation.h"
#include "adapters/policies/retry_policy.h"
#include "adapters/policies/retrying_operation.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "adapters/testing/validation.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::selling_partner {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using Request = v1::DeleteSubscriptionRequest;
using Response = v1::DeleteSubscriptionResponse;
using adapters::testing::FakeHttpTransport;
using adapters::testing::ManualScheduler;
using adapters::testing::ParseText;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kDomain[] = "sellingpartnerapi.amazon.com";
constexpr absl::Time kDeadline = absl::FromUnixSeconds(1'700'000'060);

template <typename Case>
std::string CaseName(::testing::TestParamInfo<Case> const& info) {
  return info.param.name;
}

// Hands out "token-1"; after that one is invalidated, "token-2"; and so on.
// Answers inline, like a cached token.
class FakeTokenSource : public adapters::auth::AccessTokenSource {
 public:
  void GetToken(absl::Time deadline, std::shared_ptr<adapters::async::Cancellation>,
                adapters::transport::Done<std::string> done) override {
    deadlines.push_back(deadline);
    if (!failure.ok()) return std::move(done)(failure);
    std::move(done)(Current());
  }

  void Invalidate(std::string const& token) override {
    invalidated.push_back(token);
    if (token == Current()) ++generation_;
  }

  std::string Current() const { return absl::StrCat("token-", generation_); }

  absl::Status failure;  // when set, every GetToken fails with it
  std::vector<absl::Time> deadlines;
  std::vector<std::string> invalidated;

 private:
  int generation_ = 1;
};

Endpoints TestEndpoints(
    v1::SellingPartnerRegion default_region = v1::SELLING_PARTNER_REGION_NORTH_AMERICA) {
  return Endpoints{"https://sp-na.example", "https://sp-eu.example/", "https://sp-fe.example",
                   default_region};
}

Request Key(std::string const& type, std::string const& id, std::string const& extra = "") {
  return adapters::testing::ParseText<Request>(
      absl::StrCat("selling_partner { notification_type: \"", type, "\" subscription_id: \"", id,
                   "\" ", extra, " }"));
}

Request AnyOfferChanged() { return Key("ANY_OFFER_CHANGED", "sub-1"); }

std::string ErrorsBody(std::string const& code, std::string const& message,
                       std::string const& details = "") {
  std::string error = absl::StrCat(R"({"code": ")", code, R"(", "message": ")", message, "\"");
  if (!details.empty()) absl::StrAppend(&error, R"(, "details": ")", details, "\"");
  return absl::StrCat(R"({"errors": [)", error, "}]}");
}

// Starts the adapter; the fakes answer inline, so the outcome is there on
// return.
absl::StatusOr<Response> RunInline(adapters::operation::Operation<Request, Response>& op,
                                   Request const& request) {
  std::optional<absl::StatusOr<Response>> result;
  op.Start(adapters::operation::CallContext{kDeadline, nullptr, nullptr}, request,
           [&](absl::StatusOr<Response> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "the operation did not answer inline";
  return result.value_or(absl::InternalError("never finished"));
}

google::rpc::ErrorInfo ErrorInfoOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  EXPECT_TRUE(adapters::errors::FindDetail(status, info)) << status;
  return info;
}

std::map<std::string, std::string> Metadata(google::rpc::ErrorInfo const& info) {
  return {info.metadata().begin(), info.metadata().end()};
}

// No token the source handed out reaches the caller or a log.
void ExpectNoToken(absl::Status const& status) {
  for (char const* token : {"token-1", "token-2", "token-3"}) {
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(token)));
    EXPECT_THAT(adapters::errors::ToRpcStatus(status).SerializeAsString(), Not(HasSubstr(token)));
    EXPECT_THAT(status.ToString(absl::StatusToStringMode::kWithEverything), Not(HasSubstr(token)));
  }
}

class SellingPartnerTest : public ::testing::Test {
 protected:
  absl::StatusOr<Response> Delete(Request const& request, Endpoints endpoints = TestEndpoints()) {
    DeleteSubscription op(std::move(endpoints), transport_, tokens_);
    return RunInline(op, request);
  }

  void Answer(int status, std::string body, adapters::transport::HttpHeaders headers = {}) {
    transport_.SetResponder(
        [response = adapters::testing::Response(status, std::move(body), std::move(headers))](
            adapters::transport::HttpRequest const&) { return response; });
  }

  adapters::testing::FakeHttpTransport transport_;
  FakeTokenSource tokens_;
};

// ---------------------------------------------------------------------------
// The request each input builds.
// ---------------------------------------------------------------------------

struct RequestCase {
  std::string name;
  v1::SellingPartnerRegion default_region;
  std::string region;  // the request's region field, text format ("" = unset)
  std::string type;
  std::string id;
  std::string url;
};

// A failing row is named, not dumped as bytes.
void PrintTo(RequestCase const& c, std::ostream* os) { *os << c.name; }

class DeleteSubscriptionRequestTest : public SellingPartnerTest,
                                      public ::testing::WithParamInterface<RequestCase> {};

TEST_P(DeleteSubscriptionRequestTest, BuildsTheDocumentedRequest) {
  auto const& c = GetParam();
  Answer(200, "{}");
  auto request = Key(c.type, c.id, c.region.empty() ? "" : absl::StrCat("region: ", c.region));
  ASSERT_TRUE(Delete(request, TestEndpoints(c.default_region)).ok());

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto const& sent = requests[0];
  EXPECT_EQ(sent.method, "DELETE");
  EXPECT_EQ(sent.url, c.url);
  // Grantless: the LWA token in x-amz-access-token, no Authorization header.
  EXPECT_THAT(sent.headers,
              UnorderedElementsAre(Pair("x-amz-access-token", "token-1"),
                                   Pair("x-amz-date", MatchesRegex("[0-9]{8}T[0-9]{6}Z")),
                                   Pair("Accept", "application/json")));
  EXPECT_THAT(sent.body, IsEmpty());
  EXPECT_EQ(sent.deadline, kDeadline);
  EXPECT_THAT(tokens_.deadlines, ElementsAre(kDeadline));
  EXPECT_THAT(tokens_.invalidated, IsEmpty());
}

constexpr auto kNa = v1::SELLING_PARTNER_REGION_NORTH_AMERICA;
constexpr auto kEu = v1::SELLING_PARTNER_REGION_EUROPE;
constexpr auto kFe = v1::SELLING_PARTNER_REGION_FAR_EAST;
constexpr char kNaUrl[] = "https://sp-na.example/notifications/v1/subscriptions/";
constexpr char kAoc[] = "ANY_OFFER_CHANGED";

INSTANTIATE_TEST_SUITE_P(
    Inputs, DeleteSubscriptionRequestTest,
    ::testing::Values(
        RequestCase{"NorthAmerica", kEu, "SELLING_PARTNER_REGION_NORTH_AMERICA", kAoc, "sub-1",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/sub-1")},
        // The configured endpoint's trailing slash does not double.
        RequestCase{"Europe", kNa, "SELLING_PARTNER_REGION_EUROPE", kAoc, "sub-1",
                    "https://sp-eu.example/notifications/v1/subscriptions/ANY_OFFER_CHANGED/sub-1"},
        RequestCase{"FarEast", kNa, "SELLING_PARTNER_REGION_FAR_EAST", kAoc, "sub-1",
                    "https://sp-fe.example/notifications/v1/subscriptions/ANY_OFFER_CHANGED/sub-1"},
        // Unspecified: the configured default region.
        RequestCase{"UnspecifiedDefaultsToNorthAmerica", kNa, "", kAoc, "sub-1",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/sub-1")},
        RequestCase{"UnspecifiedDefaultsToEurope", kEu, "", kAoc, "sub-1",
                    "https://sp-eu.example/notifications/v1/subscriptions/ANY_OFFER_CHANGED/sub-1"},
        RequestCase{"UnspecifiedDefaultsToFarEast", kFe, "SELLING_PARTNER_REGION_UNSPECIFIED", kAoc,
                    "sub-1",
                    "https://sp-fe.example/notifications/v1/subscriptions/ANY_OFFER_CHANGED/sub-1"},
        // The id is one path segment whatever it holds.
        RequestCase{"IdWithSlash", kNa, "", kAoc, "model/1",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/model%2F1")},
        RequestCase{"IdWithSpace", kNa, "", kAoc, "serial 42",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/serial%2042")},
        RequestCase{"IdWithQueryAndFragment", kNa, "", kAoc, "a?b#c",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/a%3Fb%23c")},
        RequestCase{"IdWithPercentAndPlus", kNa, "", kAoc, "100%+x&y=z",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/100%25%2Bx%26y%3Dz")},
        RequestCase{"IdUnicode", kNa, "", kAoc, R"(\342\202\254-sub-\303\274)",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/%E2%82%AC-sub-%C3%BC")},
        RequestCase{"IdDotDotSlash", kNa, "", kAoc, "../admin",
                    absl::StrCat(kNaUrl, "ANY_OFFER_CHANGED/..%2Fadmin")},
        RequestCase{"UnreservedCharactersStay", kNa, "", "FEED_PROCESSING_FINISHED", "a-b_c.d~e",
                    absl::StrCat(kNaUrl, "FEED_PROCESSING_FINISHED/a-b_c.d~e")}),
    CaseName<RequestCase>);

TEST_F(SellingPartnerTest, UnusablePathSegmentIsRefusedBeforeAnything) {
  auto result = Delete(Key(kAoc, ".."));
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(transport_.requests(), IsEmpty());
  EXPECT_THAT(tokens_.deadlines, IsEmpty()) << "no token is fetched for a request never sent";
}

TEST_F(SellingPartnerTest, TokenFailureIsReturnedAndNothingIsSent) {
  tokens_.failure = absl::UnavailableError("Login with Amazon answered HTTP 503");
  auto result = Delete(AnyOfferChanged());
  EXPECT_EQ(result.status(), tokens_.failure);
  EXPECT_THAT(transport_.requests(), IsEmpty());
}

// ---------------------------------------------------------------------------
// How a success is read.
// ---------------------------------------------------------------------------

struct SuccessCase {
  std::string name;
  std::string body;
  adapters::transport::HttpHeaders headers;
  std::string request_id;
  std::string rate_limit;
};

void PrintTo(SuccessCase const& c, std::ostream* os) { *os << c.name; }

class DeleteSubscriptionSuccessTest : public SellingPartnerTest,
                                      public ::testing::WithParamInterface<SuccessCase> {};

TEST_P(DeleteSubscriptionSuccessTest, ReportsRequestIdAndRateLimit) {
  auto const& c = GetParam();
  Answer(200, c.body, c.headers);
  auto result = Delete(AnyOfferChanged());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->already_deleted());
  ASSERT_TRUE(result->has_selling_partner());
  EXPECT_EQ(result->selling_partner().upstream_request_id(), c.request_id);
  EXPECT_EQ(result->selling_partner().rate_limit(), c.rate_limit);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, DeleteSubscriptionSuccessTest,
    ::testing::Values(
        SuccessCase{"Documented",
                    "{}",
                    {{"x-amzn-requestid", "req-200"}, {"x-amzn-ratelimit-limit", "1.0"}},
                    "req-200",
                    "1.0"},
        // The sandbox and some answers send no body at all.
        SuccessCase{"EmptyBody",
                    "",
                    {{"x-amzn-requestid", "req-200"}, {"x-amzn-ratelimit-limit", "1.0"}},
                    "req-200",
                    "1.0"},
        SuccessCase{"HeaderNamesInAnyCase",
                    "{}",
                    {{"x-amzn-RequestId", "req-A"}, {"X-Amzn-RateLimit-Limit", "5.0"}},
                    "req-A",
                    "5.0"},
        SuccessCase{"NoRateLimit", "{}", {{"x-amzn-requestid", "req-200"}}, "req-200", ""},
        SuccessCase{"NoHeaders", "{}", {}, "", ""}),
    CaseName<SuccessCase>);

// ---------------------------------------------------------------------------
// What each documented error becomes (errors.cc's table, through the adapter).
// ---------------------------------------------------------------------------

struct ErrorCase {
  std::string name;
  int http_status;
  std::string body;
  adapters::transport::HttpHeaders headers;
  Code code;
  std::string reason;
  R retry;
  std::string message;        // the whole status message
  std::string upstream_code;  // "" = none
  std::string rate_limit;     // "" = none
  std::optional<absl::Duration> retry_delay;
  bool token_rejected;  // the token is dropped and the attempt marked for one repeat
};

void PrintTo(ErrorCase const& c, std::ostream* os) { *os << c.name; }

class DeleteSubscriptionErrorTest : public SellingPartnerTest,
                                    public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(DeleteSubscriptionErrorTest, MapsStatusAndDetails) {
  auto const& c = GetParam();
  Answer(c.http_status, c.body, c.headers);
  auto status = Delete(AnyOfferChanged()).status();

  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(status.message(), c.message);
  EXPECT_EQ(adapters::errors::RetryClassOf(status), c.retry);
  EXPECT_EQ(adapters::errors::RetryDelayOf(status), c.retry_delay);
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), kDomain);
  auto metadata = Metadata(info);
  EXPECT_EQ(metadata["provider"], "Selling Partner API");
  EXPECT_EQ(metadata["httpStatus"], absl::StrCat(c.http_status));
  EXPECT_EQ(metadata["upstreamRequestId"], "req-err-1");
  google::rpc::RequestInfo request_info;
  ASSERT_TRUE(adapters::errors::FindDetail(status, request_info));
  EXPECT_EQ(request_info.request_id(), "req-err-1");
  if (c.upstream_code.empty()) {
    EXPECT_EQ(metadata.count("upstreamCode"), 0u);
  } else {
    EXPECT_EQ(metadata["upstreamCode"], c.upstream_code);
  }
  if (c.rate_limit.empty()) {
    EXPECT_EQ(metadata.count("rateLimit"), 0u);
  } else {
    EXPECT_EQ(metadata["rateLimit"], c.rate_limit);
  }

  if (c.token_rejected) {
    EXPECT_THAT(tokens_.invalidated, ElementsAre("token-1"));
    EXPECT_TRUE(adapters::errors::ProvablyNotSent(status));
  } else {
    EXPECT_THAT(tokens_.invalidated, IsEmpty());
    EXPECT_FALSE(adapters::errors::ProvablyNotSent(status));
  }
  EXPECT_EQ(transport_.requests().size(), 1u);
  ExpectNoToken(status);
}

// Every SP-API answer carries the request id, in the header's documented case.
adapters::transport::HttpHeaders Headers(adapters::transport::HttpHeaders extra = {}) {
  extra.emplace(extra.begin(), "x-amzn-RequestId", "req-err-1");
  return extra;
}

adapters::transport::HttpHeaders WithRateLimit() {
  return Headers({{"x-amzn-RateLimit-Limit", "1.0"}});
}

constexpr char kDenied[] = "Access to requested resource is denied.";
constexpr char kQuota[] = "You exceeded your quota for the requested resource.";

INSTANTIATE_TEST_SUITE_P(
    Documented, DeleteSubscriptionErrorTest,
    ::testing::Values(
        ErrorCase{"InvalidInput", 400, ErrorsBody("InvalidInput", "Unknown notification type FOO."),
                  WithRateLimit(), Code::kInvalidArgument, "UPSTREAM_INVALID_ARGUMENT", R::kNone,
                  "Selling Partner API answered HTTP 400 InvalidInput: Unknown notification "
                  "type FOO.",
                  "InvalidInput", "1.0", std::nullopt, false},
        // The token was refused: dropped, and the attempt may be repeated once.
        ErrorCase{"Unauthorized", 403,
                  ErrorsBody("Unauthorized", kDenied, "The access token you provided has expired."),
                  Headers(), Code::kPermissionDenied, "UPSTREAM_PERMISSION_DENIED",
                  R::kRefreshedCredentials,
                  "Selling Partner API answered HTTP 403 Unauthorized: Access to requested "
                  "resource is denied.",
                  "Unauthorized", "", std::nullopt, true},
        ErrorCase{"MissingAuthenticationToken", 403,
                  ErrorsBody("MissingAuthenticationToken", kDenied),
                  Headers({{"x-amzn-ErrorType", "MissingAuthenticationTokenException"}}),
                  Code::kUnauthenticated, "UPSTREAM_CREDENTIALS_REJECTED", R::kRefreshedCredentials,
                  "Selling Partner API answered HTTP 403 MissingAuthenticationToken: Access to "
                  "requested resource is denied.",
                  "MissingAuthenticationToken", "", std::nullopt, true},
        ErrorCase{"NotFound", 404, ErrorsBody("NotFound", "The resource specified does not exist."),
                  WithRateLimit(), Code::kNotFound, "UPSTREAM_NOT_FOUND", R::kNone,
                  "Selling Partner API answered HTTP 404 NotFound: The resource specified does "
                  "not exist.",
                  "NotFound", "1.0", std::nullopt, false},
        ErrorCase{"Conflict", 409, ErrorsBody("Conflict", "The subscription is being changed."),
                  Headers(), Code::kFailedPrecondition, "UPSTREAM_CONFLICT", R::kNone,
                  "Selling Partner API answered HTTP 409 Conflict: The subscription is being "
                  "changed.",
                  "Conflict", "", std::nullopt, false},
        ErrorCase{"QuotaExceeded", 429, ErrorsBody("QuotaExceeded", kQuota),
                  Headers({{"Retry-After", "2"}}), Code::kResourceExhausted, "UPSTREAM_THROTTLED",
                  R::kThrottle,
                  absl::StrCat("Selling Partner API answered HTTP 429 QuotaExceeded: ", kQuota),
                  "QuotaExceeded", "", absl::Seconds(2), false},
        ErrorCase{"QuotaExceededNoRetryAfter", 429, ErrorsBody("QuotaExceeded", kQuota), Headers(),
                  Code::kResourceExhausted, "UPSTREAM_THROTTLED", R::kThrottle,
                  absl::StrCat("Selling Partner API answered HTTP 429 QuotaExceeded: ", kQuota),
                  "QuotaExceeded", "", std::nullopt, false},
        ErrorCase{"InternalFailure", 500, ErrorsBody("InternalFailure", "We hit a snag."),
                  Headers(), Code::kUnavailable, "UPSTREAM_UNAVAILABLE", R::kTransient,
                  "Selling Partner API answered HTTP 500 InternalFailure: We hit a snag.",
                  "InternalFailure", "", std::nullopt, false},
        ErrorCase{"ServiceUnavailable", 503, ErrorsBody("ServiceUnavailable", "Try again later."),
                  Headers(), Code::kUnavailable, "UPSTREAM_UNAVAILABLE", R::kTransient,
                  "Selling Partner API answered HTTP 503 ServiceUnavailable: Try again later.",
                  "ServiceUnavailable", "", std::nullopt, false},
        // A 403 for another reason keeps the token and is not repeated.
        ErrorCase{"AccessDenied", 403, ErrorsBody("AccessDenied", kDenied), Headers(),
                  Code::kPermissionDenied, "UPSTREAM_PERMISSION_DENIED", R::kNone,
                  "Selling Partner API answered HTTP 403 AccessDenied: Access to requested "
                  "resource is denied.",
                  "AccessDenied", "", std::nullopt, false},
        // An unknown code: the HTTP status decides.
        ErrorCase{"UnknownCode", 413, ErrorsBody("RequestTooLarge", "Too big."), Headers(),
                  Code::kInvalidArgument, "UPSTREAM_REQUEST_TOO_LARGE", R::kNone,
                  "Selling Partner API answered HTTP 413 RequestTooLarge: Too big.",
                  "RequestTooLarge", "", std::nullopt, false},
        // Not JSON (e.g. a load balancer's page): the text is the message.
        ErrorCase{"NotJson", 502, "<html>Bad Gateway</html>\n", Headers(), Code::kUnavailable,
                  "UPSTREAM_UNAVAILABLE", R::kTransient,
                  "Selling Partner API answered HTTP 502: <html>Bad Gateway</html>", "", "",
                  std::nullopt, false}),
    CaseName<ErrorCase>);

// AWS's front end may name the error only in a header.
TEST_F(SellingPartnerTest, ErrorNamedOnlyInTheHeader) {
  Answer(403, "", Headers({{"x-amzn-errortype", "MissingAuthenticationTokenException"}}));
  auto status = Delete(AnyOfferChanged()).status();
  EXPECT_EQ(status.code(), Code::kUnauthenticated) << status;
  EXPECT_EQ(status.message(), "Selling Partner API answered HTTP 403 MissingAuthenticationToken");
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "UPSTREAM_CREDENTIALS_REJECTED");
  EXPECT_EQ(Metadata(info)["upstreamCode"], "MissingAuthenticationToken");
  // Named only in the header, it is still a refused token: drop it, repeat once.
  EXPECT_EQ(tokens_.invalidated, std::vector<std::string>{"token-1"});
  EXPECT_EQ(adapters::errors::RetryClassOf(status),
            adapters::errors::RetryClass::kRefreshedCredentials);
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(status));
}

TEST_F(SellingPartnerTest, ForbiddenForAnotherReasonKeepsTheToken) {
  Answer(403, R"({"errors": [{"code": "AccessDenied", "message": "No access."}]})", Headers());
  auto status = Delete(AnyOfferChanged()).status();
  EXPECT_EQ(status.code(), Code::kPermissionDenied) << status;
  EXPECT_TRUE(tokens_.invalidated.empty());
  EXPECT_EQ(adapters::errors::RetryClassOf(status), adapters::errors::RetryClass::kNone);
}

TEST_F(SellingPartnerTest, EveryUpstreamErrorTravelsInMetadata) {
  Answer(400,
         R"({"errors": [{"code": "InvalidInput", "message": "Bad type.", "details": "FOO"},)"
         R"(            {"code": "InvalidInput", "message": "Bad id."}]})",
         Headers());
  auto info = ErrorInfoOf(Delete(AnyOfferChanged()).status());
  auto metadata = Metadata(info);
  EXPECT_EQ(metadata["upstreamCode"], "InvalidInput");
  EXPECT_EQ(metadata["upstreamDetails"], "FOO");
  EXPECT_THAT(metadata["upstreamErrors"], HasSubstr("Bad type."));
  EXPECT_THAT(metadata["upstreamErrors"], HasSubstr("Bad id."));
}

// ---------------------------------------------------------------------------
// Failures below HTTP are attributed to the SP-API, keeping the host.
// ---------------------------------------------------------------------------

struct TransportCase {
  std::string name;
  adapters::errors::TransportFailure failure;
  Code code;
  std::string reason;
  bool not_sent;
};

void PrintTo(TransportCase const& c, std::ostream* os) { *os << c.name; }

class DeleteSubscriptionTransportTest : public SellingPartnerTest,
                                        public ::testing::WithParamInterface<TransportCase> {};

TEST_P(DeleteSubscriptionTransportTest, IsAttributedToTheProvider) {
  auto const& c = GetParam();
  transport_.SetResponder([failure = c.failure](adapters::transport::HttpRequest const&)
                              -> absl::StatusOr<adapters::transport::HttpResponse> {
    return adapters::errors::MapTransportFailure(failure, "127.0.0.1", "refused");
  });
  auto status = Delete(AnyOfferChanged()).status();
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(adapters::errors::ProvablyNotSent(status), c.not_sent);
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), c.reason);
  EXPECT_EQ(info.domain(), kDomain);
  auto metadata = Metadata(info);
  EXPECT_EQ(metadata["upstreamHost"], "127.0.0.1");
  EXPECT_EQ(metadata["provider"], "Selling Partner API");
  EXPECT_THAT(tokens_.invalidated, IsEmpty());
  ExpectNoToken(status);
}

INSTANTIATE_TEST_SUITE_P(
    Failures, DeleteSubscriptionTransportTest,
    ::testing::Values(TransportCase{"Connect", adapters::errors::TransportFailure::kConnect,
                                    Code::kUnavailable, "UPSTREAM_CONNECT_FAILED", true},
                      TransportCase{"TlsUntrusted",
                                    adapters::errors::TransportFailure::kTlsVerification,
                                    Code::kUnavailable, "UPSTREAM_TLS_UNTRUSTED", true},
                      TransportCase{"Receive", adapters::errors::TransportFailure::kReceive,
                                    Code::kUnavailable, "UPSTREAM_CONNECTION_LOST", false},
                      TransportCase{"Deadline", adapters::errors::TransportFailure::kDeadline,
                                    Code::kDeadlineExceeded, "DEADLINE_EXCEEDED", false}),
    CaseName<TransportCase>);

// ---------------------------------------------------------------------------
// AlreadyDone: after an attempt that may have deleted it, NOT_FOUND means the
// subscription is gone.
// ---------------------------------------------------------------------------

struct AlreadyDoneCase {
  std::string name;
  absl::Status status;
  bool done;
};

void PrintTo(AlreadyDoneCase const& c, std::ostream* os) { *os << c.name; }

class DeleteSubscriptionAlreadyDoneTest : public ::testing::TestWithParam<AlreadyDoneCase> {};

TEST_P(DeleteSubscriptionAlreadyDoneTest, OnlyNotFoundMeansDeleted) {
  auto const& c = GetParam();
  auto answer = DeleteSubscription::AlreadyDone(c.status);
  ASSERT_EQ(answer.has_value(), c.done);
  if (!c.done) return;
  ASSERT_TRUE(answer->ok());
  EXPECT_TRUE((*answer)->already_deleted());
  EXPECT_TRUE((*answer)->has_selling_partner());
}

INSTANTIATE_TEST_SUITE_P(
    Codes, DeleteSubscriptionAlreadyDoneTest,
    ::testing::Values(
        AlreadyDoneCase{"NotFound", absl::NotFoundError("gone"), true},
        AlreadyDoneCase{"InvalidArgument", absl::InvalidArgumentError("x"), false},
        AlreadyDoneCase{"FailedPrecondition", absl::FailedPreconditionError("x"), false},
        AlreadyDoneCase{"PermissionDenied", absl::PermissionDeniedError("x"), false},
        AlreadyDoneCase{"Unavailable", absl::UnavailableError("x"), false},
        AlreadyDoneCase{"ResourceExhausted", absl::ResourceExhaustedError("x"), false},
        AlreadyDoneCase{"Ok", absl::OkStatus(), false}),
    CaseName<AlreadyDoneCase>);

// ---------------------------------------------------------------------------
// Retrying(RateLimited(DeleteSubscription)), as factory.cc wires it, on a
// manual clock. The transport has no responder: the test answers each
// request, so it sees exactly when each one is sent.
// ---------------------------------------------------------------------------

class ReauthorizationTest : public ::testing::Test {
 protected:
  using Retrying = adapters::policies::RetryingOperation<Request, Response>;
  using Limited = adapters::policies::RateLimitedOperation<Request, Response>;

  // Burst 1, 1 request/s: the first attempt takes the only token.
  std::unique_ptr<Retrying> Wire(int max_attempts) {
    adapters::policies::RetryPolicy policy;
    policy.max_attempts = max_attempts;
    std::shared_ptr<adapters::operation::Operation<Request, Response>> op =
        std::make_shared<DeleteSubscription>(TestEndpoints(), transport_, tokens_);
    op = std::make_shared<Limited>(
        std::move(op), std::make_shared<adapters::policies::TokenBucket>(1.0, 1, clock_), clock_,
        "Selling Partner API deleteSubscriptionById");
    return std::make_unique<Retrying>(std::move(op), policy,
                                      adapters::policies::Idempotency::kIdempotent, clock_,
                                      &DeleteSubscription::AlreadyDone, [] { return 1.0; });
  }

  void Start(Retrying& op) {
    op.Start(adapters::operation::CallContext{clock_.Now() + absl::Seconds(60), nullptr, nullptr},
             AnyOfferChanged(), [this](absl::StatusOr<Response> r) { result_ = std::move(r); });
  }

  std::string SentToken(std::size_t i) const {
    auto requests = transport_.requests();
    if (i >= requests.size()) return "<not sent>";
    for (auto const& [name, value] : requests[i].headers) {
      if (name == "x-amz-access-token") return value;
    }
    return "<no token>";
  }

  static adapters::transport::HttpResponse Unauthorized() {
    return adapters::testing::Response(
        403, ErrorsBody("Unauthorized", kDenied, "The access token you provided has expired."),
        {{"x-amzn-requestid", "req-403"}});
  }

  adapters::testing::ManualScheduler clock_;
  adapters::testing::FakeHttpTransport transport_;
  FakeTokenSource tokens_;
  std::optional<absl::StatusOr<Response>> result_;
};

TEST_F(ReauthorizationTest, RejectedTokenIsRefreshedAndTheRepeatWaitsForTheBucket) {
  auto op = Wire(3);
  absl::Time start = clock_.Now();
  Start(*op);
  ASSERT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(SentToken(0), "token-1");

  ASSERT_TRUE(transport_.RespondNext(Unauthorized()));
  EXPECT_THAT(tokens_.invalidated, ElementsAre("token-1"));
  EXPECT_FALSE(result_.has_value());
  // The retry decorator repeats at once, but the repeat needs a bucket token.
  clock_.RunDue();
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(clock_.next(), start + absl::Seconds(1));
  clock_.AdvanceBy(absl::Milliseconds(999));
  EXPECT_EQ(transport_.requests().size(), 1u);
  clock_.AdvanceBy(absl::Milliseconds(1));
  ASSERT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(SentToken(1), "token-2");
  EXPECT_EQ(transport_.requests()[1].url, transport_.requests()[0].url);

  ASSERT_TRUE(transport_.RespondNext(
      adapters::testing::Response(200, "{}", {{"x-amzn-requestid", "req-200"}})));
  ASSERT_TRUE(result_.has_value());
  ASSERT_TRUE(result_->ok()) << result_->status();
  EXPECT_FALSE((*result_)->already_deleted());
  EXPECT_EQ((*result_)->selling_partner().upstream_request_id(), "req-200");
  EXPECT_THAT(tokens_.invalidated, ElementsAre("token-1"));
}

TEST_F(ReauthorizationTest, TheRepeatCountsAgainstMaxAttempts) {
  auto op = Wire(1);
  Start(*op);
  ASSERT_TRUE(transport_.RespondNext(Unauthorized()));
  // No attempt left: the 403 is the answer, and nothing more goes out.
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), Code::kPermissionDenied);
  EXPECT_THAT(std::string(result_->status().message()), Not(HasSubstr("gave up")));
  EXPECT_EQ(Metadata(ErrorInfoOf(result_->status()))["upstreamCode"], "Unauthorized");
  clock_.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(transport_.waiting(), 0);
  EXPECT_EQ(clock_.pending(), 0);
  // The token is dropped all the same, so the next call gets a fresh one.
  EXPECT_THAT(tokens_.invalidated, ElementsAre("token-1"));
  ExpectNoToken(result_->status());
}

TEST_F(ReauthorizationTest, TheRepeatUsesUpAnAttemptOfTheBudget) {
  auto op = Wire(2);
  Start(*op);
  ASSERT_TRUE(transport_.RespondNext(Unauthorized()));
  clock_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(transport_.requests().size(), 2u);
  // A transient failure that a third attempt could have retried.
  ASSERT_TRUE(transport_.RespondNext(
      adapters::testing::Response(503, ErrorsBody("ServiceUnavailable", "Try again later."))));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), Code::kUnavailable);
  EXPECT_THAT(std::string(result_->status().message()), HasSubstr("gave up after 2 attempts"));
  clock_.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(ReauthorizationTest, SecondRejectionIsReturned) {
  auto op = Wire(3);
  Start(*op);
  ASSERT_TRUE(transport_.RespondNext(Unauthorized()));
  clock_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(SentToken(1), "token-2");

  ASSERT_TRUE(transport_.RespondNext(Unauthorized()));
  ASSERT_TRUE(result_.has_value());
  absl::Status status = result_->status();
  EXPECT_EQ(status.code(), Code::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("gave up after 2 attempts"));
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.domain(), kDomain);
  EXPECT_EQ(Metadata(info)["upstreamCode"], "Unauthorized");
  // Only one repeat per call, though attempts remain.
  clock_.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(transport_.waiting(), 0);
  EXPECT_EQ(clock_.pending(), 0);
  EXPECT_THAT(tokens_.invalidated, ElementsAre("token-1", "token-2"));
  ExpectNoToken(status);
}

// Finding 7 of issue 24, end to end: the adapter and its retry on the real
// Login with Amazon token source, one fake transport for both. A 403 that
// is not about the token (a fresh one is refused too) used to cost two token
// requests per call.
TEST(SellingPartnerTokenTest, AStreamOf403sCostsOneTokenRequestNotTwoPerCall) {
  ManualScheduler clock;
  FakeHttpTransport transport;
  int token_requests = 0;
  transport.SetResponder([&token_requests](adapters::transport::HttpRequest const& request) {
    if (absl::StrContains(request.url, "/auth/o2/token")) {
      ++token_requests;
      return adapters::testing::Response(
          200, absl::StrCat(R"({"access_token":"Atza|t)", token_requests,
                            R"(","token_type":"bearer","expires_in":3600})"));
    }
    return adapters::testing::Response(403, ErrorsBody("Unauthorized", kDenied));
  });
  adapters::auth::LwaOptions lwa;
  lwa.token_endpoint = "https://lwa.example/auth/o2/token";
  lwa.client_id = "client";
  lwa.client_secret = "secret";
  lwa.scope = "sellingpartnerapi::notifications";
  adapters::auth::LwaTokenSource tokens(lwa, transport, clock);
  adapters::policies::RetryPolicy policy;
  policy.max_attempts = 3;
  adapters::policies::RetryingOperation<Request, Response> op(
      std::make_shared<DeleteSubscription>(TestEndpoints(), transport, tokens), policy,
      adapters::policies::Idempotency::kIdempotent, clock, &DeleteSubscription::AlreadyDone,
      [] { return 1.0; });
  for (int call = 0; call < 4; ++call) {
    std::optional<absl::StatusOr<Response>> result;
    op.Start(adapters::operation::CallContext{clock.Now() + absl::Seconds(60), nullptr, nullptr},
             AnyOfferChanged(), [&result](absl::StatusOr<Response> r) { result = std::move(r); });
    for (int i = 0; i < 100 && !result.has_value(); ++i) clock.AdvanceBy(absl::Milliseconds(100));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->status().code(), Code::kPermissionDenied);
    clock.AdvanceBy(absl::Seconds(2));
  }
  // The first token, then its one replacement, kept while refused.
  EXPECT_EQ(token_requests, 2);
}

}  // namespace
}  // namespace linkgateway::adapters::selling_partner
