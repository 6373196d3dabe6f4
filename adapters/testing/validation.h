// Helpers for table-driven validation tests: a request in text format and the
// field its error must name ("" = valid).
#ifndef LINKGATEWAY_ADAPTERS_TESTING_VALIDATION_H_
#define LINKGATEWAY_ADAPTERS_TESTING_VALIDATION_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "adapters/errors/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::testing {

template <typename Message>
Message ParseText(std::string const& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

struct ValidationCase {
  std::string name;
  std::string request;    // text format
  std::string bad_field;  // the first violation's field; "" = valid
};

inline std::string CaseName(::testing::TestParamInfo<ValidationCase> const& info) {
  return info.param.name;
}

// Checks `validate` on one case: OK, or INVALID_ARGUMENT whose message and
// BadRequest name the field.
template <typename Request>
void ExpectValidation(std::function<absl::Status(Request const&)> const& validate,
                      ValidationCase const& c) {
  absl::Status status = validate(ParseText<Request>(c.request));
  if (c.bad_field.empty()) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), ::testing::HasSubstr(c.bad_field + ":"));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(adapters::errors::FindDetail(status, bad_request));
  ASSERT_GE(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), c.bad_field);
}

}  // namespace linkgateway::adapters::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_VALIDATION_H_
