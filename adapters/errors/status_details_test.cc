#include "adapters/errors/status_details.h"

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

TEST(StatusDetailsTest, OkStatusGetsNoDetails) {
  absl::Status status;
  AttachDetail(status, google::rpc::RetryInfo());
  EXPECT_TRUE(Details(status).empty());
}

}  // namespace
}  // namespace linkgateway::adapters::errors
