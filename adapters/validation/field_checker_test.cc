#include "adapters/validation/field_checker.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::validation {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Fields(FieldChecker const& check) {
  std::vector<std::string> fields;
  for (auto const& v : check.violations()) fields.push_back(v.field);
  return fields;
}

TEST(FieldCheckerTest, EachRule) {
  FieldChecker check("key.");
  check.Token("token_ok", "Atza|abc");
  check.Token("token_space", "a b");
  check.PathSegment("segment_ok", "model/1 ü");
  check.PathSegment("segment_dotdot", "..");
  check.PathSegment("segment_control", "a\tb");
  check.PathSegment("segment_long", std::string(257, 'x'));
  check.PathSegment("segment_256_characters", std::string(128, 'x') + std::string(128, 'x'));
  check.Pattern("pattern_ok", "ANY_OFFER", 16, "_", "[A-Z_]+");
  check.Pattern("pattern_bad", "A/B", 16, "_", "[A-Z_]+");
  check.Empty("empty_bad", "x", "for version 2");
  // Unicode control and separator characters, not only ASCII ones.
  check.PathSegment("segment_c1_nel", "a\xC2\x85" "b");
  check.PathSegment("segment_line_separator", "a\xE2\x80\xA8" "b");
  check.PathSegment("segment_paragraph_separator", "a\xE2\x80\xA9" "b");
  check.PathSegment("segment_del", "a\x7F");
  check.PathSegment("segment_emoji_ok", "a\xF0\x9F\x98\x80");
  EXPECT_THAT(Fields(check),
              ::testing::ElementsAre("key.token_space", "key.segment_dotdot",
                                     "key.segment_control", "key.segment_long",
                                     "key.pattern_bad", "key.empty_bad", "key.segment_c1_nel",
                                     "key.segment_line_separator",
                                     "key.segment_paragraph_separator", "key.segment_del"));
}

TEST(FieldCheckerTest, ResultNamesTheMessageAndEveryViolation) {
  FieldChecker check("key.");
  google::protobuf::Empty request;
  EXPECT_TRUE(check.Result(request).ok());
  check.Fail("a", "is required");
  check.Fail("b", "is wrong");
  absl::Status status = check.Result(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Empty is invalid: key.a: is required; key.b"));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(adapters::errors::FindDetail(status, bad_request));
  EXPECT_EQ(bad_request.field_violations_size(), 2);
}

}  // namespace
}  // namespace linkgateway::adapters::validation
