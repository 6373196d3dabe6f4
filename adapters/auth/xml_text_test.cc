// XML answers of AWS query APIs, read by element path.
#include "adapters/auth/xml_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using ::testing::HasSubstr;

TEST(XmlTextTest, TextByPathWithoutNamespaces) {
  auto texts = ParseXmlTexts(
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">)"
      "<AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
      "<SessionToken>a&amp;b&lt;c</SessionToken></Credentials></AssumeRoleResult>"
      "<x:Other xmlns:x=\"urn:x\">one</x:Other><x:Other xmlns:x=\"urn:x\">two</x:Other>"
      "<Cdata><![CDATA[<raw>]]></Cdata></AssumeRoleResponse>");
  ASSERT_TRUE(texts.ok()) << texts.status();
  EXPECT_EQ(XmlText(*texts, "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"),
            "ASIA1");
  EXPECT_EQ(XmlText(*texts, "AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken"),
            "a&b<c");
  EXPECT_EQ(XmlText(*texts, "AssumeRoleResponse/Other"), "one");  // the first wins
  EXPECT_EQ(XmlText(*texts, "AssumeRoleResponse/Cdata"), "<raw>");
  EXPECT_EQ(XmlText(*texts, "AssumeRoleResponse/Missing"), "");
}

TEST(XmlTextTest, RefusesWhatIsNotPlainWellFormedXml) {
  EXPECT_THAT(ParseXmlTexts("<a><b></a>").status().message(), HasSubstr("not well-formed"));
  EXPECT_THAT(ParseXmlTexts("").status().message(), HasSubstr("not well-formed"));
  EXPECT_THAT(ParseXmlTexts("{\"json\": true}").status().message(), HasSubstr("not well-formed"));
  // Entity expansion starts with a DOCTYPE: refused before any expansion.
  std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><a>&lol2;</a>";
  EXPECT_THAT(ParseXmlTexts(laughs).status().message(), HasSubstr("document type"));
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  for (int i = 0; i < 40; ++i) deep += "</a>";
  EXPECT_THAT(ParseXmlTexts(deep).status().message(), HasSubstr("too deep"));
}

}  // namespace
}  // namespace linkgateway::adapters::auth
