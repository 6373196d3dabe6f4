#include "server/request/validation.h"

#include "adapters/errors/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/app_profiles.pb.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::server::request {
namespace {

using ::testing::HasSubstr;

// Every provider named in the request's target oneof, as the error lists them.
std::string Choices(google::protobuf::Message const& request) {
  auto const* target = request.GetDescriptor()->FindOneofByName("target");
  std::string names;
  for (int i = 0; i < target->field_count(); ++i) {
    if (i > 0) names += ", ";
    names += target->field(i)->name();
  }
  return names;
}

template <typename Request>
void ExpectMissingTarget() {
  Request request;
  absl::Status status = ValidateTarget(request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("exactly one of " + Choices(request)));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(adapters::errors::FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations(0).field(), "target");
}

TEST(ValidateTargetTest, EveryRpcNeedsItsTarget) {
  ExpectMissingTarget<v1::DeleteRegistrationRequest>();
  ExpectMissingTarget<v1::GetSubscriptionInfoRequest>();
  ExpectMissingTarget<v1::DeleteSubscriptionRequest>();
  ExpectMissingTarget<v1::DeleteAppProfileRequest>();
  ExpectMissingTarget<v1::GetProfileTransactionRequest>();
}

TEST(ValidateTargetTest, AnySetTargetPasses) {
  v1::DeleteAppProfileRequest request;
  request.set_validate_only(true);
  EXPECT_FALSE(ValidateTarget(request).ok());
  auto const* target = request.GetDescriptor()->FindOneofByName("target");
  for (int i = 0; i < target->field_count(); ++i) {
    request.GetReflection()->MutableMessage(&request, target->field(i));
    EXPECT_TRUE(ValidateTarget(request).ok()) << target->field(i)->name();
  }
}

}  // namespace
}  // namespace linkgateway::server::request
