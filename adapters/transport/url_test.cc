#include "adapters/transport/url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::transport {
namespace {

TEST(UrlTest, EscapeLeavesOnlyUnreservedCharacters) {
  EXPECT_EQ(Escape("a_635736738702976937"), "a_635736738702976937");
  EXPECT_EQ(Escape("sub/1 ?#&=%"), "sub%2F1%20%3F%23%26%3D%25");
  EXPECT_EQ(Escape("gerät"), "ger%C3%A4t");
  EXPECT_EQ(Escape("a.b-c~d"), "a.b-c~d");
}

TEST(UrlTest, JoinPathEscapesEachSegment) {
  auto url = JoinPath("https://h.example/notifications/v1/subscriptions/",
                      {"ANY_OFFER_CHANGED", "id/../x?y"});
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url,
            "https://h.example/notifications/v1/subscriptions/ANY_OFFER_CHANGED/id%2F..%2Fx%3Fy");
}

TEST(UrlTest, JoinPathRefusesSegmentsThatChangeThePath) {
  for (absl::string_view bad : {"", ".", ".."}) {
    auto url = JoinPath("https://h", {"ok", bad});
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(UrlTest, FormEncode) {
  EXPECT_EQ(FormEncode({{"grant_type", "client_credentials"}, {"scope", "a::b c"}}),
            "grant_type=client_credentials&scope=a%3A%3Ab%20c");
}

}  // namespace
}  // namespace linkgateway::adapters::transport
