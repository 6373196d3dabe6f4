#include "adapters/errors/upstream_text.h"

#include <string>

#include "gtest/gtest.h"

namespace linkgateway::adapters::errors {
namespace {

struct Case {
  std::string name;
  std::string in;
  std::size_t max;
  std::string out;
};

class SafeTextTest : public ::testing::TestWithParam<Case> {};

TEST_P(SafeTextTest, Sanitizes) {
  EXPECT_EQ(SafeText(GetParam().in, GetParam().max), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SafeTextTest,
    ::testing::Values(
        Case{"Plain", "  req-123  ", 64, "req-123"},
        Case{"Utf8Kept", "Gerät ü 日本 😀", 64, "Gerät ü 日本 😀"},
        Case{"InvalidBytesReplaced", "a\xFF\xFE" "b", 64, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b"},
        Case{"TruncatedSequence", "a\xE6\x97", 64, "a\xEF\xBF\xBD\xEF\xBF\xBD"},
        Case{"Overlong", "\xC0\xAF", 64, "\xEF\xBF\xBD\xEF\xBF\xBD"},
        Case{"Surrogate", "\xED\xA0\x80", 64, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        Case{"ControlsReplaced", "a\x01" "b\x7F" "c\xC2\x85" "d", 64,
             "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d"},
        Case{"WhitespaceBecomesSpace", "a\tb\nc", 64, "a b c"},
        Case{"CutWithMarker", std::string(100, 'x'), 10, "xxxxxxx..."},
        Case{"CutAtCharacterBoundary", "ééééé", 8, "éé..."},
        Case{"Empty", "", 8, ""}),
    [](auto const& info) { return info.param.name; });

TEST(SafeTextTest, NeverExceedsTheBound) {
  std::string big(20000, 'x');
  big[5000] = '\xFF';
  EXPECT_LE(SafeText(big, 128).size(), 128u);
  EXPECT_LE(SafeText("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 5).size(), 5u);
}

}  // namespace
}  // namespace linkgateway::adapters::errors
