#include "adapters/errors/status_details.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::errors {
namespace {

using ::testing::HasSubstr;

TEST(StatusDetailsTest, InvalidArgumentNamesEveryFieldAndCarriesBadRequest) {
  absl::Status status = InvalidArgument(
      "DeleteRegistrationRequest",
      {{"sms_voice.registration_id", "must not be empty"},
       {"target", "must be set"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("sms_voice.registration_id: must not be empty"));
  EXPECT_THAT(status.message(), HasSubstr("target: must be set"));

  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(FindDetail(status, bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "sms_voice.registration_id");

  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
  EXPECT_EQ(info.domain(), "linkgateway");
  EXPECT_EQ(info.metadata().at("field"), "sms_voice.registration_id");
}

TEST(StatusDetailsTest, ToRpcStatusKeepsCodeMessageAndDetails) {
  absl::Status status = WithErrorInfo(absl::UnavailableError("upstream down"),
                                      "UPSTREAM_UNAVAILABLE", "example.com",
                                      {{"httpStatus", "503"}});
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(2);
  AttachDetail(status, retry);

  google::rpc::Status rpc = ToRpcStatus(status);
  EXPECT_EQ(rpc.code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rpc.message(), "upstream down");
  ASSERT_EQ(rpc.details_size(), 2);

  google::rpc::RetryInfo found;
  ASSERT_TRUE(FindDetail(status, found));
  EXPECT_EQ(found.retry_delay().seconds(), 2);
}

TEST(StatusDetailsTest, AttachingTheSameTypeTwiceKeepsTheLast) {
  absl::Status status = absl::InternalError("x");
  google::rpc::RetryInfo first;
  first.mutable_retry_delay()->set_seconds(1);
  google::rpc::RetryInfo second;
  second.mutable_retry_delay()->set_seconds(5);
  AttachDetail(status, first);
  AttachDetail(status, second);
  EXPECT_EQ(Details(status).size(), 1u);
  google::rpc::RetryInfo found;
  ASSERT_TRUE(FindDetail(status, found));
  EXPECT_EQ(found.retry_delay().seconds(), 5);
}

// absl::Status visits payloads in an order of its own (it differs from one
// status to the next); callers must see the same order every time.
TEST(StatusDetailsTest, DetailsComeInAFixedOrderWhateverTheAttachOrder) {
  google::rpc::ErrorInfo info;
  info.set_reason("UPSTREAM_NOT_FOUND");
  google::rpc::BadRequest bad_request;
  bad_request.add_field_violations()->set_field("x");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  google::rpc::RequestInfo request;
  request.set_request_id("r-1");
  google::rpc::LocalizedMessage localized;
  localized.set_locale("en-US");
  google::rpc::Help help;
  help.add_links()->set_url("https://example.org/help");
  std::vector<google::protobuf::Message const*> attached = {&request, &localized, &help,
                                                             &retry, &info, &bad_request};
  std::vector<std::string> const expected = {
      "type.googleapis.com/google.rpc.ErrorInfo",  "type.googleapis.com/google.rpc.BadRequest",
      "type.googleapis.com/google.rpc.RetryInfo",  "type.googleapis.com/google.rpc.RequestInfo",
      "type.googleapis.com/google.rpc.Help", "type.googleapis.com/google.rpc.LocalizedMessage"};
  std::sort(attached.begin(), attached.end());
  int orders = 0;
  do {  // every attach order, each on a status of its own
    absl::Status status = absl::NotFoundError("gone");
    for (auto const* detail : attached) AttachDetail(status, *detail);
    std::vector<std::string> type_urls;
    for (auto const& any : Details(status)) type_urls.push_back(any.type_url());
    ASSERT_EQ(type_urls, expected) << "attach order #" << orders;
    EXPECT_EQ(ToRpcStatus(status).details(0).type_url(), expected[0]);
    ++orders;
  } while (std::next_permutation(attached.begin(), attached.end()));
  EXPECT_EQ(orders, 720);
}

TEST(StatusDetailsTest, ErrorInfoMetadataIsSerializedInKeyOrder) {
  std::vector<std::string> keys = {"upstreamRequestId", "httpStatus", "provider",
                                   "upstreamCode",      "rateLimit",  "upstreamErrors"};
  std::string first;
  for (int round = 0; round < 20; ++round) {
    std::rotate(keys.begin(), keys.begin() + 1, keys.end());
    google::rpc::ErrorInfo info;
    for (auto const& key : keys) (*info.mutable_metadata())[key] = "v-" + key;
    absl::Status status = absl::NotFoundError("gone");
    AttachDetail(status, info);
    std::string bytes = ToRpcStatus(status).details(0).value();
    if (round == 0) first = bytes;
    EXPECT_EQ(bytes, first) << "round " << round;
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LT(first.find(sorted[i - 1]), first.find(sorted[i])) << sorted[i];
  }
}

TEST(StatusDetailsTest, OkStatusGetsNoDetails) {
  absl::Status status;
  AttachDetail(status, google::rpc::RetryInfo());
  EXPECT_TRUE(Details(status).empty());
}

}  // namespace
}  // namespace linkgateway::adapters::errors
