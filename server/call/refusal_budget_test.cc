#include "server/call/refusal_budget.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace linkgateway::server::call {
namespace {

TEST(RefusalBudgetTest, APeerGetsItsBurstThenItsRateWhateverItsPort) {
  RefusalBudget budget({/*rate=*/2, /*burst=*/3, /*max_peers=*/10});
  absl::Time t = absl::FromUnixSeconds(1000);
  for (int port = 0; port < 3; ++port) {
    EXPECT_TRUE(budget.Take(absl::StrCat("ipv4:10.0.0.7:", 50000 + port), t));
  }
  EXPECT_FALSE(budget.Take("ipv4:10.0.0.7:50009", t));
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.8:50000", t)) << "another peer has its own";
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.7:50009", t + absl::Milliseconds(500)));
  EXPECT_FALSE(budget.Take("ipv4:10.0.0.7:50009", t + absl::Milliseconds(500)));
}

TEST(RefusalBudgetTest, ManyPeersAtOnceShareOneBudgetAndIdleOnesAreForgotten) {
  RefusalBudget budget({/*rate=*/1, /*burst=*/1, /*max_peers=*/2});
  absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.1:1", t));
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.2:1", t));
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.3:1", t)) << "the shared budget's first";
  EXPECT_FALSE(budget.Take("ipv4:10.0.0.4:1", t)) << "the shared budget is spent";
  // Once the first two are idle (full again) they are forgotten.
  EXPECT_TRUE(budget.Take("ipv4:10.0.0.5:1", t + absl::Seconds(2)));
}

TEST(RefusalBudgetTest, AddressesWithoutTheirPorts) {
  EXPECT_EQ(RefusalBudget::AddressOf("ipv4:10.0.0.7:51234"), "ipv4:10.0.0.7");
  EXPECT_EQ(RefusalBudget::AddressOf("ipv6:[::1]:51234"), "ipv6:[::1]");
  EXPECT_EQ(RefusalBudget::AddressOf("unix:/tmp/socket"), "unix:/tmp/socket");
}

}  // namespace
}  // namespace linkgateway::server::call
