// A GoogleTest fixture that runs the gateway against the emulators for each
// test (EmulatedGateway), restartable with other options.
#ifndef LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_TEST_H_
#define LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_TEST_H_

#include <memory>
#include <utility>

#include "grpcpp/channel.h"
#include "gtest/gtest.h"
#include "tests/testing/emulated_gateway.h"

namespace linkgateway::tests::testing {

class EmulatedGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWith({}); }

  // (Re)starts the emulators and the gateway with `options`.
  void StartWith(EmulatedGatewayOptions options) {
    env_.reset();
    auto env = EmulatedGateway::Start(std::move(options));
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    Connected(env_->channel());
  }

  // Where a test makes its stubs, after each (re)start.
  virtual void Connected(std::shared_ptr<grpc::Channel> const& /*channel*/) {}

  std::unique_ptr<EmulatedGateway> env_;
};

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_EMULATED_GATEWAY_TEST_H_
