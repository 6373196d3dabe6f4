// The C++ command-line client against the real gateway and emulators: every
// verb, JSON output, error details on stderr, exit codes.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/security/token_file.h"
#include "tests/testing/test_ca.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/emulated_gateway_test.h"

namespace linkgateway::tests::clients {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tests::testing::Completed;
using tests::testing::Emulator;

class CliTest : public tests::testing::EmulatedGatewayTest {
 protected:

  Completed Cli(std::string const& verb, std::string const& json,
                std::vector<std::string> const& flags = {}) {
    std::vector<std::string> argv = {tests::testing::RunfilePath("clients/cpp/linkgateway_cli"),
                                     "--target=" + env_->gateway().address()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {verb, json});
    auto result = tests::testing::RunToCompletion(argv);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(Completed{});
  }
};

TEST_F(CliTest, DeleteSubscriptionPrintsJsonThenTheErrorWithItsDetails) {
  ASSERT_TRUE(env_->Control("subscriptions",
                            R"({"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"s-1"})")
                  .ok());
  std::string request =
      R"({"sellingPartner":{"notificationType":"ANY_OFFER_CHANGED","subscriptionId":"s-1"}})";
  Completed ok = Cli("delete-subscription", request);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr(R"("rateLimit": "1.0")"));

  Completed gone = Cli("delete-subscription", request);
  EXPECT_EQ(gone.exit_code, 5) << gone.output;  // NOT_FOUND
  EXPECT_THAT(gone.output, HasSubstr("error: NOT_FOUND: Selling Partner API answered HTTP 404"));
  EXPECT_THAT(gone.output, HasSubstr("reason: UPSTREAM_NOT_FOUND (sellingpartnerapi.amazon.com)"));
  EXPECT_THAT(gone.output, HasSubstr("upstream request id: "));
}

TEST_F(CliTest, ValidationErrorNamesTheField) {
  Completed bad = Cli("delete-registration", R"({"smsVoice":{"registrationId":"no spaces"}})");
  EXPECT_EQ(bad.exit_code, 3) << bad.output;  // INVALID_ARGUMENT
  EXPECT_THAT(bad.output, HasSubstr("field sms_voice.registration_id: must be 1-256"));
}

TEST_F(CliTest, EveryVerbReachesItsProvider) {
  ASSERT_TRUE(env_->Control(Emulator::kSmsVoice, "registrations",
                            R"({"RegistrationId":"registration-1"})").ok());
  Completed sms = Cli("delete-registration", R"({"smsVoice":{"registrationId":"registration-1"}})");
  EXPECT_EQ(sms.exit_code, 0) << sms.output;
  EXPECT_THAT(sms.output, HasSubstr("SMS_VOICE_REGISTRATION_STATUS_DELETED"));

  auto device = env_->Control("devices", R"({"model":"m","device":"d","slots":{"s1":{"subscribed":true}}})");
  ASSERT_TRUE(device.ok());
  std::string token = device->fields().at("accessToken").string_value();
  Completed info = Cli("get-subscription-info",
                       R"({"dashReplenishment":{"accessToken":")" + token + R"("}})");
  EXPECT_EQ(info.exit_code, 0) << info.output;
  EXPECT_THAT(info.output, HasSubstr(R"("subscribed": true)"));

  Completed validate = Cli("delete-app-profile",
                           R"({"imiconnect":{"appId":"a","customerId":"c","deviceId":"d"},"validateOnly":true})");
  EXPECT_EQ(validate.exit_code, 0) << validate.output;
  EXPECT_THAT(validate.output, HasSubstr(R"("validateOnly": true)"));

  Completed status = Cli("get-profile-transaction", R"({"imiconnect":{"transactionId":"t-1"}})");
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN"));

  Completed deregister = Cli("delete-registration",
                             R"({"dashReplenishment":{"accessToken":")" + token + R"("}})");
  EXPECT_EQ(deregister.exit_code, 0) << deregister.output;
}

TEST_F(CliTest, UsageErrors) {
  EXPECT_EQ(Cli("delete-subscription", "{not json").exit_code, 64);
  EXPECT_EQ(Cli("no-such-verb", "{}").exit_code, 64);
}

TEST_F(CliTest, ConnectsWithMutualTlsAndWithABearerToken) {
  auto const& certs = env_->certs();
  auto client = tests::testing::MakeCertificate(certs, "cli-client", "/CN=cli",
                                                "URI:spiffe://example.org/cli");
  ASSERT_TRUE(client.ok()) << client.status();
  std::string dir = std::getenv("TEST_TMPDIR");
  std::string token_file = dir + "/cli.token";
  std::ofstream(token_file) << "cli-test-token-5e1f\n";
  std::string tokens = dir + "/cli-tokens.txt";
  std::ofstream(tokens) << server::security::HashTokenLine("cli-by-token", "cli-test-token-5e1f")
                        << "\n";
  tests::testing::EmulatedGatewayOptions options;
  options.security_config = absl::StrCat(
      "tls { cert_file: \"", certs.server_cert, "\" key_file: \"", certs.server_key,
      "\" client_ca_file: \"", certs.ca_cert, "\" }\n",
      "authentication { mtls: true token_file: \"", tokens, "\" }\n",
      "audit { path: \"", dir, "/cli-audit.jsonl\" }");
  StartWith(options);
  std::string request = R"({"imiconnect":{"transactionId":"t-1"}})";
  Completed mtls = Cli("get-profile-transaction", request,
                       {"--tls", "--ca_file=" + certs.ca_cert, "--cert_file=" + client->cert,
                        "--key_file=" + client->key});
  EXPECT_EQ(mtls.exit_code, 0) << mtls.output;
  EXPECT_THAT(mtls.output, HasSubstr("PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN"));
  Completed token = Cli("get-profile-transaction", request,
                        {"--tls", "--ca_file=" + certs.ca_cert, "--token_file=" + token_file});
  EXPECT_EQ(token.exit_code, 0) << token.output;
  Completed none = Cli("get-profile-transaction", request, {"--tls", "--ca_file=" + certs.ca_cert});
  EXPECT_EQ(none.exit_code, 16) << none.output;  // UNAUTHENTICATED
  EXPECT_THAT(none.output, Not(HasSubstr("cli-test-token-5e1f")));
}

}  // namespace
}  // namespace linkgateway::tests::clients
