// Dash Replenishment's Deregistration and GetSubscriptionInfo against the fake
// transport: the request each input builds, how each documented answer is
// read, and what each documented error becomes. Everything answers inline.
#include "adapters/dash_replenishment/dash_replenishment.h"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/validation.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::dash_replenishment {
namespace {

using Code = absl::StatusCode;
using R = adapters::errors::RetryClass;
using adapters::testing::FakeHttpTransport;
using adapters::testing::ParseText;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kEndpoint[] = "https://drs.example";
constexpr char kDomain[] = "dash-replenishment-service.amazon.com";
// The caller's token: it must reach the Authorization header and nothing else.
constexpr char kToken[] = "Atza|drs-customer-secret-7f3a";
constexpr absl::Time kDeadline = absl::FromUnixSeconds(1'700'000'060);

constexpr char kDeregisterResult[] = "com.amazon.dash.replenishment.DrsDeregisterResult@1.0";
constexpr char kInfoResult1[] = "com.amazon.dash.replenishment.DrsSubscriptionInfoResult@1.0";
constexpr char kInfoResult2[] = "com.amazon.dash.replenishment.DrsSubscriptionInfoResult@2.0";

template <typename Case>
std::string CaseName(::testing::TestParamInfo<Case> const& info) {
  return info.param.name;
}

v1::DeleteRegistrationRequest Device(std::string const& fields) {
  return adapters::testing::ParseText<v1::DeleteRegistrationRequest>(
      absl::StrCat("dash_replenishment { access_token: \"", kToken, "\" ", fields, " }"));
}

v1::GetSubscriptionInfoRequest InfoKey(std::string const& fields) {
  return adapters::testing::ParseText<v1::GetSubscriptionInfoRequest>(
      absl::StrCat("dash_replenishment { access_token: \"", kToken, "\" ", fields, " }"));
}

// Starts `op`; the fake answers inline, so the outcome is there on return.
template <typename Request, typename Response>
absl::StatusOr<Response> RunInline(adapters::operation::Operation<Request, Response>& op,
                                   Request const& request) {
  std::optional<absl::StatusOr<Response>> result;
  op.Start(adapters::operation::CallContext{kDeadline, nullptr, nullptr}, request,
           [&](absl::StatusOr<Response> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "the operation did not answer inline";
  return result.value_or(absl::InternalError("never finished"));
}

absl::StatusOr<v1::DeleteRegistrationResponse> Deregister(
    adapters::testing::FakeHttpTransport& transport, v1::DeleteRegistrationRequest const& request) {
  Deregistration op(kEndpoint, transport);
  return RunInline(op, request);
}

absl::StatusOr<v1::SubscriptionInfo> GetInfo(adapters::testing::FakeHttpTransport& transport,
                                             v1::GetSubscriptionInfoRequest const& request) {
  GetSubscriptionInfo op(kEndpoint, transport);
  return RunInline(op, request);
}

google::rpc::ErrorInfo ErrorInfoOf(absl::Status const& status) {
  google::rpc::ErrorInfo info;
  EXPECT_TRUE(adapters::errors::FindDetail(status, info)) << status;
  return info;
}

std::map<std::string, std::string> Metadata(google::rpc::ErrorInfo const& info) {
  return {info.metadata().begin(), info.metadata().end()};
}

// Neither the message nor anything that reaches the caller or a log names it.
void ExpectNoToken(absl::Status const& status) {
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kToken)));
  EXPECT_THAT(adapters::errors::ToRpcStatus(status).SerializeAsString(), Not(HasSubstr(kToken)));
  EXPECT_THAT(status.ToString(absl::StatusToStringMode::kWithEverything), Not(HasSubstr(kToken)));
}

// ---------------------------------------------------------------------------
// The request each input builds.
// ---------------------------------------------------------------------------

struct DeregistrationRequestCase {
  std::string name;
  std::string endpoint;
  std::string fields;  // DashReplenishmentDevice fields besides access_token
  std::string url;
  std::string type_version;
};

// A failing row is named, not dumped as bytes.
void PrintTo(DeregistrationRequestCase const& c, std::ostream* os) { *os << c.name; }

class DeregistrationRequestTest : public ::testing::TestWithParam<DeregistrationRequestCase> {};

TEST_P(DeregistrationRequestTest, BuildsTheDocumentedRequest) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, "", {{"x-amzn-type-version", kDeregisterResult}});
  });
  Deregistration op(c.endpoint, transport);
  ASSERT_TRUE(RunInline(op, Device(c.fields)).ok());

  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto const& sent = requests[0];
  EXPECT_EQ(sent.method, "DELETE");
  EXPECT_EQ(sent.url, c.url);
  EXPECT_THAT(sent.headers,
              UnorderedElementsAre(Pair("Authorization", absl::StrCat("Bearer ", kToken)),
                                   Pair("x-amzn-type-version", c.type_version),
                                   Pair("x-amzn-accept-type", kDeregisterResult),
                                   Pair("Accept", "application/json")));
  EXPECT_THAT(sent.body, IsEmpty());
  EXPECT_EQ(sent.deadline, kDeadline);
}

constexpr char kInput1[] = "com.amazon.dash.replenishment.DrsDeregisterInput@1.0";
constexpr char kInput2[] = "com.amazon.dash.replenishment.DrsDeregisterInput@2.0";
constexpr char kV1[] = "api_version: DASH_REPLENISHMENT_API_VERSION_1_0 ";

INSTANTIATE_TEST_SUITE_P(
    Inputs, DeregistrationRequestTest,
    ::testing::Values(
        DeregistrationRequestCase{"V2", kEndpoint,
                                  "api_version: DASH_REPLENISHMENT_API_VERSION_2_0",
                                  "https://drs.example/registration", kInput2},
        // Unspecified means 2.0: the token alone names the device.
        DeregistrationRequestCase{"UnspecifiedIsV2", kEndpoint, "",
                                  "https://drs.example/registration", kInput2},
        DeregistrationRequestCase{"EndpointWithTrailingSlash", "https://drs.example/", "",
                                  "https://drs.example/registration", kInput2},
        DeregistrationRequestCase{"EndpointWithBasePath", "https://proxy.example/drs/", "",
                                  "https://proxy.example/drs/registration", kInput2},
        DeregistrationRequestCase{
            "V1", kEndpoint,
            absl::StrCat(kV1, R"(device_model_id: "m-1" device_identifier: "SN123")"),
            "https://drs.example/deviceModels/m-1/devices/SN123/registration", kInput1},
        // Ids are single path segments whatever they hold.
        DeregistrationRequestCase{
            "V1SlashAndSpace", kEndpoint,
            absl::StrCat(kV1, R"(device_model_id: "model/1" device_identifier: "serial 42")"),
            "https://drs.example/deviceModels/model%2F1/devices/serial%2042/registration", kInput1},
        DeregistrationRequestCase{
            "V1QueryAndFragment", kEndpoint,
            absl::StrCat(kV1, R"(device_model_id: "a?b#c" device_identifier: "x&y=z+1")"),
            "https://drs.example/deviceModels/a%3Fb%23c/devices/x%26y%3Dz%2B1/registration",
            kInput1},
        DeregistrationRequestCase{
            "V1Unicode", kEndpoint,
            absl::StrCat(kV1, R"(device_model_id: "caf\303\251" device_identifier: "100%")"),
            "https://drs.example/deviceModels/caf%C3%A9/devices/100%25/registration", kInput1},
        DeregistrationRequestCase{
            "V1DotsInsideAnId", kEndpoint,
            absl::StrCat(kV1, R"(device_model_id: "..m" device_identifier: "../d")"),
            "https://drs.example/deviceModels/..m/devices/..%2Fd/registration", kInput1}),
    CaseName<DeregistrationRequestCase>);

TEST(DeregistrationPathTest, UnusableSegmentIsRefusedBeforeSending) {
  adapters::testing::FakeHttpTransport transport;
  auto result = Deregister(
      transport, Device(absl::StrCat(kV1, R"(device_model_id: ".." device_identifier: "d")")));
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(transport.requests(), IsEmpty());
}

struct InfoRequestCase {
  std::string name;
  std::string fields;  // DashReplenishmentSubscriptionKey fields besides access_token
  std::string accept_type;
};

void PrintTo(InfoRequestCase const& c, std::ostream* os) { *os << c.name; }

class SubscriptionInfoRequestTest : public ::testing::TestWithParam<InfoRequestCase> {};

TEST_P(SubscriptionInfoRequestTest, BuildsTheDocumentedRequest) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, R"({"slotsSubscriptionStatus":{}})");
  });
  ASSERT_TRUE(GetInfo(transport, InfoKey(c.fields)).ok());

  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto const& sent = requests[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "https://drs.example/subscriptionInfo");
  EXPECT_THAT(
      sent.headers,
      UnorderedElementsAre(
          Pair("Authorization", absl::StrCat("Bearer ", kToken)),
          Pair("x-amzn-type-version", "com.amazon.dash.replenishment.DrsSubscriptionInfoInput@1.0"),
          Pair("x-amzn-accept-type", c.accept_type), Pair("Accept", "application/json")));
  EXPECT_THAT(sent.body, IsEmpty());
  EXPECT_EQ(sent.deadline, kDeadline);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, SubscriptionInfoRequestTest,
    ::testing::Values(
        InfoRequestCase{"V1", "result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0",
                        kInfoResult1},
        InfoRequestCase{"V2", "result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0",
                        kInfoResult2},
        InfoRequestCase{"UnspecifiedIsV2", "", kInfoResult2}),
    CaseName<InfoRequestCase>);

// ---------------------------------------------------------------------------
// How each documented success is read.
// ---------------------------------------------------------------------------

struct DeregistrationAnswerCase {
  std::string name;
  adapters::transport::HttpHeaders headers;
  std::string body;
  std::string result_type_version;
};

void PrintTo(DeregistrationAnswerCase const& c, std::ostream* os) { *os << c.name; }

class DeregistrationAnswerTest : public ::testing::TestWithParam<DeregistrationAnswerCase> {};

TEST_P(DeregistrationAnswerTest, ReportsTheResultTypeVersion) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, c.body, c.headers);
  });
  auto result = Deregister(transport, Device(""));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->already_deleted());
  ASSERT_TRUE(result->has_dash_replenishment());
  EXPECT_EQ(result->dash_replenishment().result_type_version(), c.result_type_version);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, DeregistrationAnswerTest,
    ::testing::Values(
        // The documented answer: no body, the result version in a header.
        DeregistrationAnswerCase{
            "Documented", {{"x-amzn-type-version", kDeregisterResult}}, "", kDeregisterResult},
        DeregistrationAnswerCase{"HeaderNameInAnyCase",
                                 {{"X-Amzn-Type-Version", kDeregisterResult}},
                                 "",
                                 kDeregisterResult},
        // A body, if one ever comes, is not needed.
        DeregistrationAnswerCase{
            "WithABody", {{"x-amzn-type-version", kDeregisterResult}}, "{}", kDeregisterResult},
        DeregistrationAnswerCase{"NoHeader", {}, "", ""}),
    CaseName<DeregistrationAnswerCase>);

struct InfoAnswerCase {
  std::string name;
  std::string requested;  // result_version asked for; the answer decides
  std::string type_version;
  std::string body;
  std::string expected;  // DashReplenishmentSubscriptionInfo, text format
};

void PrintTo(InfoAnswerCase const& c, std::ostream* os) { *os << c.name; }

class SubscriptionInfoAnswerTest : public ::testing::TestWithParam<InfoAnswerCase> {};

TEST_P(SubscriptionInfoAnswerTest, ParsesEverySlot) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, c.body, {{"x-amzn-type-version", c.type_version}});
  });
  auto result = GetInfo(transport, InfoKey(c.requested));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->has_dash_replenishment());
  auto expected = adapters::testing::ParseText<v1::DashReplenishmentSubscriptionInfo>(c.expected);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(result->dash_replenishment(), expected))
      << "got:\n"
      << result->dash_replenishment().DebugString() << "want:\n"
      << expected.DebugString();
}

constexpr char kAsk1[] = "result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0";
constexpr char kAsk2[] = "result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0";

INSTANTIATE_TEST_SUITE_P(
    Answers, SubscriptionInfoAnswerTest,
    ::testing::Values(
        InfoAnswerCase{"V1SlotsAreBooleans", kAsk1, kInfoResult1,
                       R"({"slotsSubscriptionStatus": {"slot-a": true, "slot-b": false}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0
                          slots { key: "slot-a" value { subscribed: true } }
                          slots { key: "slot-b" value { subscribed: false } })"},
        InfoAnswerCase{"V2SlotsCarryProducts", kAsk2, kInfoResult2,
                       R"({"slotsSubscriptionStatus": {
                             "detergent": {"subscribed": true, "productInfoList": [
                               {"asin": "B0TESTASIN", "quantity": 2, "unit": "count"},
                               {"asin": "B0OTHER001", "quantity": 0.5, "unit": "kg"}]},
                             "filter": {"subscribed": false, "productInfoList": []}}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                          slots { key: "detergent" value {
                            subscribed: true
                            products { asin: "B0TESTASIN" quantity: 2 unit: "count" }
                            products { asin: "B0OTHER001" quantity: 0.5 unit: "kg" } } }
                          slots { key: "filter" value { subscribed: false } })"},
        InfoAnswerCase{"V2SlotWithoutProducts", kAsk2, kInfoResult2,
                       R"({"slotsSubscriptionStatus": {"s": {"subscribed": true}}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                          slots { key: "s" value { subscribed: true } })"},
        InfoAnswerCase{"UnknownMembersAreIgnored", kAsk2, kInfoResult2,
                       R"({"nextToken": "x", "slotsSubscriptionStatus": {"s": {
                             "subscribed": true, "since": "2018-01-01",
                             "productInfoList": [{"asin": "B0TESTASIN", "brand": "Acme"}]}}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                          slots { key: "s" value {
                            subscribed: true products { asin: "B0TESTASIN" } } })"},
        InfoAnswerCase{"NoSlots", kAsk2, kInfoResult2, R"({"slotsSubscriptionStatus": {}})",
                       "result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0"},
        // The answer's own type version names its shape, not what was asked.
        InfoAnswerCase{"AskedV2AnsweredV1", kAsk2, kInfoResult1,
                       R"({"slotsSubscriptionStatus": {"slot1": true}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0
                          slots { key: "slot1" value { subscribed: true } })"},
        // Without a type version, the version asked for.
        InfoAnswerCase{"AskedV2NoTypeVersion", kAsk2, "",
                       R"({"slotsSubscriptionStatus": {"s": {"subscribed": true}}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                          slots { key: "s" value { subscribed: true } })"},
        InfoAnswerCase{"AskedV1AnsweredV2", kAsk1, kInfoResult2,
                       R"({"slotsSubscriptionStatus": {"slot1": {"subscribed": true,
                             "productInfoList": [{"asin": "B0TESTASIN", "quantity": 1,
                                                  "unit": "count"}]}}})",
                       R"(result_version: DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                          slots { key: "slot1" value { subscribed: true
                            products { asin: "B0TESTASIN" quantity: 1 unit: "count" } } })"}),
    CaseName<InfoAnswerCase>);

// ---------------------------------------------------------------------------
// What each documented error becomes. DRS documents only 400 and 500, with a
// "best effort" body: both operations read it the same way.
// ---------------------------------------------------------------------------

struct DrsErrorCase {
  std::string name;
  int http_status;
  std::string body;
  adapters::transport::HttpHeaders headers;
  Code code;
  std::string reason;
  R retry;
  std::string message;  // the whole status message
  std::string request_id;
};

void PrintTo(DrsErrorCase const& c, std::ostream* os) { *os << c.name; }

class DrsErrorTest : public ::testing::TestWithParam<DrsErrorCase> {
 protected:
  void Check(absl::Status const& status) {
    auto const& c = GetParam();
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_EQ(status.message(), c.message);
    EXPECT_EQ(adapters::errors::RetryClassOf(status), c.retry);
    EXPECT_FALSE(adapters::errors::ProvablyNotSent(status));
    auto info = ErrorInfoOf(status);
    EXPECT_EQ(info.reason(), c.reason);
    EXPECT_EQ(info.domain(), kDomain);
    auto metadata = Metadata(info);
    EXPECT_EQ(metadata["provider"], "Dash Replenishment");
    EXPECT_EQ(metadata["httpStatus"], absl::StrCat(c.http_status));
    EXPECT_EQ(metadata.count("upstreamCode"), 0u) << "DRS has no vendor error codes";
    google::rpc::RequestInfo request_info;
    if (c.request_id.empty()) {
      EXPECT_EQ(metadata.count("upstreamRequestId"), 0u);
      EXPECT_FALSE(adapters::errors::FindDetail(status, request_info));
    } else {
      EXPECT_EQ(metadata["upstreamRequestId"], c.request_id);
      ASSERT_TRUE(adapters::errors::FindDetail(status, request_info));
      EXPECT_EQ(request_info.request_id(), c.request_id);
    }
    ExpectNoToken(status);
  }
};

TEST_P(DrsErrorTest, Deregistration) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(c.http_status, c.body, c.headers);
  });
  Check(Deregister(transport, Device("")).status());
  EXPECT_EQ(transport.requests().size(), 1u);
}

TEST_P(DrsErrorTest, GetSubscriptionInfo) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(c.http_status, c.body, c.headers);
  });
  Check(GetInfo(transport, InfoKey("")).status());
  EXPECT_EQ(transport.requests().size(), 1u);
}

constexpr char kBadRequest[] = "UPSTREAM_INVALID_ARGUMENT";
constexpr char kUnavailable[] = "UPSTREAM_UNAVAILABLE";

INSTANTIATE_TEST_SUITE_P(
    Documented, DrsErrorTest,
    ::testing::Values(
        DrsErrorCase{"BadTokenMessage",
                     400,
                     R"({"message": "Invalid token"})",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: Invalid token",
                     ""},
        DrsErrorCase{"CapitalisedMessage",
                     400,
                     R"({"Message": "  Unsupported version\n"})",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: Unsupported version",
                     ""},
        DrsErrorCase{"OAuthStyleBody",
                     400,
                     R"({"error": "invalid_token", "error_description": "The token expired"})",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: The token expired",
                     ""},
        DrsErrorCase{"OnlyAnErrorCode",
                     400,
                     R"({"error": "invalid_token"})",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: invalid_token",
                     ""},
        DrsErrorCase{"JsonWithoutText",
                     400,
                     R"({"code": 17})",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400",
                     ""},
        // Not JSON: the text itself is the feedback.
        DrsErrorCase{"PlainText",
                     400,
                     "Bad token: expired\n",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: Bad token: expired",
                     ""},
        DrsErrorCase{"EmptyBody",
                     400,
                     "",
                     {},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400",
                     ""},
        DrsErrorCase{"WithRequestId",
                     400,
                     R"({"message": "Invalid token"})",
                     {{"x-amzn-requestid", "drs-req-9"}},
                     Code::kInvalidArgument,
                     kBadRequest,
                     R::kNone,
                     "Dash Replenishment answered HTTP 400: Invalid token",
                     "drs-req-9"},
        DrsErrorCase{"ServerError",
                     500,
                     R"({"message": "Internal error"})",
                     {},
                     Code::kUnavailable,
                     kUnavailable,
                     R::kTransient,
                     "Dash Replenishment answered HTTP 500: Internal error",
                     ""},
        DrsErrorCase{"ServerErrorEmpty",
                     500,
                     "",
                     {},
                     Code::kUnavailable,
                     kUnavailable,
                     R::kTransient,
                     "Dash Replenishment answered HTTP 500",
                     ""},
        DrsErrorCase{"ServerErrorHtml",
                     500,
                     "<html><body>Oops</body></html>",
                     {},
                     Code::kUnavailable,
                     kUnavailable,
                     R::kTransient,
                     "Dash Replenishment answered HTTP 500: <html><body>Oops</body></html>",
                     ""},
        // Not documented, mapped by the HTTP table all the same.
        DrsErrorCase{"Throttled",
                     429,
                     "",
                     {{"retry-after", "3"}},
                     Code::kResourceExhausted,
                     "UPSTREAM_THROTTLED",
                     R::kThrottle,
                     "Dash Replenishment answered HTTP 429",
                     ""}),
    CaseName<DrsErrorCase>);

TEST(DrsErrorBodyTest, RetryAfterBecomesRetryInfo) {
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(429, "", {{"retry-after", "3"}});
  });
  EXPECT_EQ(adapters::errors::RetryDelayOf(Deregister(transport, Device("")).status()),
            absl::Seconds(3));
}

TEST(DrsErrorBodyTest, LongBodyIsTrimmed) {
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(400, std::string(2000, 'x'));
  });
  auto status = Deregister(transport, Device("")).status();
  EXPECT_LT(status.message().size(), 600u);
  EXPECT_THAT(std::string(status.message()), HasSubstr("xxx..."));
}

// ---------------------------------------------------------------------------
// Failures below HTTP are attributed to DRS, keeping the host.
// ---------------------------------------------------------------------------

struct TransportCase {
  std::string name;
  adapters::errors::TransportFailure failure;
  Code code;
  std::string reason;
  bool not_sent;
};

void PrintTo(TransportCase const& c, std::ostream* os) { *os << c.name; }

class DrsTransportTest : public ::testing::TestWithParam<TransportCase> {
 protected:
  void SetUp() override {
    transport_.SetResponder([failure = GetParam().failure](adapters::transport::HttpRequest const&)
                                -> absl::StatusOr<adapters::transport::HttpResponse> {
      return adapters::errors::MapTransportFailure(failure, "127.0.0.1", "refused");
    });
  }

  void Check(absl::Status const& status) {
    auto const& c = GetParam();
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_EQ(adapters::errors::ProvablyNotSent(status), c.not_sent);
    auto info = ErrorInfoOf(status);
    EXPECT_EQ(info.reason(), c.reason);
    EXPECT_EQ(info.domain(), kDomain);
    auto metadata = Metadata(info);
    EXPECT_EQ(metadata["upstreamHost"], "127.0.0.1");
    EXPECT_EQ(metadata["provider"], "Dash Replenishment");
    ExpectNoToken(status);
  }

  adapters::testing::FakeHttpTransport transport_;
};

TEST_P(DrsTransportTest, Deregistration) { Check(Deregister(transport_, Device("")).status()); }

TEST_P(DrsTransportTest, GetSubscriptionInfo) { Check(GetInfo(transport_, InfoKey("")).status()); }

INSTANTIATE_TEST_SUITE_P(
    Failures, DrsTransportTest,
    ::testing::Values(TransportCase{"Connect", adapters::errors::TransportFailure::kConnect,
                                    Code::kUnavailable, "UPSTREAM_CONNECT_FAILED", true},
                      TransportCase{"Resolve", adapters::errors::TransportFailure::kResolve,
                                    Code::kUnavailable, "UPSTREAM_DNS_FAILED", true},
                      TransportCase{"Receive", adapters::errors::TransportFailure::kReceive,
                                    Code::kUnavailable, "UPSTREAM_CONNECTION_LOST", false},
                      TransportCase{"Deadline", adapters::errors::TransportFailure::kDeadline,
                                    Code::kDeadlineExceeded, "DEADLINE_EXCEEDED", false}),
    CaseName<TransportCase>);

// ---------------------------------------------------------------------------
// A subscription info the adapter cannot read is the upstream's fault.
// ---------------------------------------------------------------------------

struct MalformedCase {
  std::string name;
  std::string body;
  std::string says;
};

void PrintTo(MalformedCase const& c, std::ostream* os) { *os << c.name; }

class MalformedSubscriptionInfoTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedSubscriptionInfoTest, IsInternal) {
  auto const& c = GetParam();
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(200, c.body, {{"x-amzn-type-version", kInfoResult2}});
  });
  auto status = GetInfo(transport, InfoKey("")).status();
  EXPECT_EQ(status.code(), Code::kInternal) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(c.says));
  EXPECT_EQ(adapters::errors::RetryClassOf(status), R::kNone);
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "UPSTREAM_MALFORMED_RESPONSE");
  EXPECT_EQ(info.domain(), kDomain);
  EXPECT_EQ(Metadata(info)["provider"], "Dash Replenishment");
  ExpectNoToken(status);
}

constexpr char kNotJson[] = "is not JSON";
constexpr char kNoSlots[] = "has no slotsSubscriptionStatus";

INSTANTIATE_TEST_SUITE_P(
    Bodies, MalformedSubscriptionInfoTest,
    ::testing::Values(
        MalformedCase{"Html", "<html>maintenance</html>", kNotJson},
        MalformedCase{"Empty", "", kNotJson},
        MalformedCase{"Truncated", R"({"slotsSubscriptionStatus": {"s1": tr)", kNotJson},
        MalformedCase{"TopLevelArray", R"([{"slot1": true}])", kNotJson},
        MalformedCase{"EmptyObject", "{}", kNoSlots},
        MalformedCase{"SlotsNotAnObject", R"({"slotsSubscriptionStatus": true})", kNoSlots},
        MalformedCase{"SlotsNull", R"({"slotsSubscriptionStatus": null})", kNoSlots},
        MalformedCase{"SlotIsAString", R"({"slotsSubscriptionStatus": {"slot1": "yes"}})",
                      "slot slot1 has no status"},
        MalformedCase{"SlotIsANumber", R"({"slotsSubscriptionStatus": {"slot1": 1}})",
                      "slot slot1 has no status"},
        MalformedCase{"SlotIsNull", R"({"slotsSubscriptionStatus": {"slot1": null}})",
                      "slot slot1 has no status"},
        MalformedCase{"SlotIsAList", R"({"slotsSubscriptionStatus": {"slot1": [true]}})",
                      "slot slot1 has no status"}),
    CaseName<MalformedCase>);

// ---------------------------------------------------------------------------
// AlreadyDone: after an attempt that may have deregistered the device, a 400
// cannot tell a token consumed by that deregistration from one that never
// worked: the outcome is unknown, never OK.
// ---------------------------------------------------------------------------

struct AlreadyDoneCase {
  std::string name;
  absl::Status status;
  bool done;
};

void PrintTo(AlreadyDoneCase const& c, std::ostream* os) { *os << c.name; }

class DeregistrationAlreadyDoneTest : public ::testing::TestWithParam<AlreadyDoneCase> {};

TEST_P(DeregistrationAlreadyDoneTest, OnlyInvalidArgumentIsOutcomeUnknown) {
  auto const& c = GetParam();
  auto answer = Deregistration::AlreadyDone(c.status);
  ASSERT_EQ(answer.has_value(), c.done);
  if (!c.done) return;
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->status().code(), absl::StatusCode::kUnknown);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(answer->status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_OUTCOME_UNKNOWN");
  EXPECT_EQ(info.metadata().at("causeCode"), "INVALID_ARGUMENT");
}

INSTANTIATE_TEST_SUITE_P(
    Codes, DeregistrationAlreadyDoneTest,
    ::testing::Values(AlreadyDoneCase{"InvalidArgument", absl::InvalidArgumentError("bad token"),
                                      true},
                      AlreadyDoneCase{"NotFound", absl::NotFoundError("x"), false},
                      AlreadyDoneCase{"Unavailable", absl::UnavailableError("x"), false},
                      AlreadyDoneCase{"Unauthenticated", absl::UnauthenticatedError("x"), false},
                      AlreadyDoneCase{"PermissionDenied", absl::PermissionDeniedError("x"), false},
                      AlreadyDoneCase{"DeadlineExceeded", absl::DeadlineExceededError("x"), false},
                      AlreadyDoneCase{"Internal", absl::InternalError("x"), false},
                      AlreadyDoneCase{"Ok", absl::OkStatus(), false}),
    CaseName<AlreadyDoneCase>);

TEST(DeregistrationReplayTest, AMapped400IsOutcomeUnknownWithTheEvidence) {
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&) {
    return adapters::testing::Response(400, R"({"message": "Invalid token"})");
  });
  auto answer = Deregistration::AlreadyDone(Deregister(transport, Device("")).status());
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->status().code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(std::string(answer->status().message()), HasSubstr("Invalid token"));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(answer->status(), info));
  EXPECT_EQ(info.domain(), "dash-replenishment-service.amazon.com");
  EXPECT_EQ(info.metadata().at("causeReason"), "UPSTREAM_INVALID_ARGUMENT");
  EXPECT_EQ(info.metadata().at("httpStatus"), "400");
}

}  // namespace
}  // namespace linkgateway::adapters::dash_replenishment
