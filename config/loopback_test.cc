#include "config/loopback.h"

#include "gtest/gtest.h"

namespace linkgateway::config {
namespace {

TEST(LoopbackTest, EveryResolvedAddressMustBeLoopback) {
  struct Case {
    char const* host;
    bool loopback;
  };
  for (auto const& c : {Case{"127.0.0.1", true}, Case{"127.1.2.3", true}, Case{"::1", true},
                        Case{"::ffff:127.0.0.1", true}, Case{"localhost", true},
                        Case{"0.0.0.0", false}, Case{"::", false}, Case{"10.0.0.1", false},
                        Case{"::ffff:10.0.0.1", false}, Case{"", false}}) {
    auto loopback = IsLoopbackHost(c.host);
    ASSERT_TRUE(loopback.ok()) << c.host << ": " << loopback.status();
    EXPECT_EQ(*loopback, c.loopback) << c.host;
  }
}

TEST(LoopbackTest, ATextPrefixIsNotEnough) {
  // Read as text, "127.example.invalid" starts like a loopback address; as a
  // name it does not resolve (.invalid never does, RFC 6761).
  EXPECT_FALSE(IsLoopbackHost("127.example.invalid").ok());
}

TEST(LoopbackTest, HostOfHostPort) {
  EXPECT_EQ(HostOf("127.0.0.1:9464"), "127.0.0.1");
  EXPECT_EQ(HostOf("[::1]:9464"), "::1");
  EXPECT_EQ(HostOf("localhost:0"), "localhost");
}

}  // namespace
}  // namespace linkgateway::config
