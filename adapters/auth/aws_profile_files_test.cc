// The shared config and credentials files, read as botocore (configparser)
// reads them. Each row's expectation is what configparser and botocore's
// build_profile_map give for the same text.
#include "adapters/auth/aws_profile_files.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;

struct IniCase {
  std::string name;
  std::string text;
  AwsProfiles want;   // when it parses
  std::string error;  // else: part of the error
};

class IniTest : public ::testing::TestWithParam<IniCase> {};

TEST_P(IniTest, ParsesAsConfigParserDoes) {
  auto const& c = GetParam();
  auto parsed = ParseIniSections(c.text);
  if (!c.error.empty()) {
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error));
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, IniTest,
    ::testing::Values(
        IniCase{"EqualsAndColon",
                "[a]\nx = 1\ny: 2\nz=3=4\n",
                {{"a", {{"x", "1"}, {"y", "2"}, {"z", "3=4"}}}},
                ""},
        IniCase{"KeysAreCaseFoldedSectionsAreNot",
                "[Prod]\nAWS_Access_Key_ID = K\n",
                {{"Prod", {{"aws_access_key_id", "K"}}}},
                ""},
        // Only whole-line comments: "# x" after a value belongs to it.
        IniCase{"Comments",
                "# top\n[a]\n; note\n  # indented comment\nx = 1 # not a comment\n",
                {{"a", {{"x", "1 # not a comment"}}}},
                ""},
        IniCase{"ContinuationLines",
                "[a]\ns3 =\n  addressing_style = path\n\n  region = x\ny = 2\n",
                {{"a", {{"s3", "\naddressing_style = path\n\nregion = x"}, {"y", "2"}}}},
                ""},
        IniCase{"EmptyValue", "[a]\nx =\n", {{"a", {{"x", ""}}}}, ""},
        IniCase{"DefaultSectionIsInherited",
                "[DEFAULT]\nregion = r\n[a]\nx = 1\n[b]\nregion = s\n",
                {{"a", {{"region", "r"}, {"x", "1"}}}, {"b", {{"region", "s"}}}},
                ""},
        IniCase{"HeaderUpToTheLastBracket",
                "[profile a] trailing\nx = 1\n",
                {{"profile a", {{"x", "1"}}}},
                ""},
        IniCase{"WindowsLineEnds", "[a]\r\nx = 1\r\n", {{"a", {{"x", "1"}}}}, ""},
        IniCase{"RepeatedSection", "[a]\nx = 1\n[a]\ny = 2\n", {}, "line 3: section [a] repeats"},
        IniCase{"RepeatedKey", "[a]\nx = 1\nX = 2\n", {}, "line 3: \"x\" repeats"},
        IniCase{"SettingBeforeSection", "x = 1\n[a]\n", {}, "line 1"},
        IniCase{"NoDelimiter", "[a]\njust words\n", {}, "line 2"},
        IniCase{"NoName", "[a]\n= 1\n", {}, "line 2"}),
    [](auto const& info) { return info.param.name; });

TEST(ProfileFilesTest, ConfigFileProfileNames) {
  auto sections = ParseIniSections(
      "[default]\nregion = a\n[profile dev]\nregion = b\n[profile \"with space\"]\nregion = c\n"
      "[sso-session corp]\nsso_region = d\n[services x]\ny = 1\n[prod]\nregion = e\n"
      "[profile too many words]\nregion = f\n[profile 'unclosed]\nregion = g\n");
  ASSERT_TRUE(sections.ok()) << sections.status();
  AwsProfiles profiles = ConfigFileProfiles(*sections);
  std::vector<std::string> names;
  for (auto const& [name, settings] : profiles) names.push_back(name);
  // [prod] without "profile " is not a profile in the config file.
  EXPECT_THAT(names, ::testing::ElementsAre("default", "dev", "with space"));
}

TEST(ProfileFilesTest, StaticKeys) {
  auto keys = StaticKeysOf({{"aws_access_key_id", "A"},
                            {"aws_secret_access_key", "S"},
                            {"aws_security_token", "old"},
                            {"aws_session_token", "new"}},
                           "p");
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(keys->has_value());
  EXPECT_EQ((*keys)->session_token, "old");  // botocore's order
  EXPECT_FALSE(StaticKeysOf({{"region", "x"}}, "p")->has_value());
  EXPECT_EQ(StaticKeysOf({{"aws_access_key_id", "A"}}, "the p").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace linkgateway::adapters::auth
