// The metrics listener (issue 23, item 6), against the real gateway: off
// loopback only when allowed (every address a name resolves to is checked,
// not the text), and, when configured, HTTPS with a required client
// certificate and a bearer token. (Nothing here ever listens off loopback:
// refused addresses are refused before anything binds.)
#include <csignal>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/security/token_file.h"
#include "tests/security/secure_gateway.h"

namespace linkgateway::tests::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsListenerAttackTest : public SecureGatewayTest {};

TEST_F(MetricsListenerAttackTest, AnAddressOffLoopbackNeedsTheOptIn) {
  for (std::string address : {"0.0.0.0:0", "[::]:0", "[::ffff:10.0.0.1]:0"}) {
    SecureOptions options;
    options.observability = absl::StrCat("metrics_address: \"", address, "\"");
    auto run = RunExpectingExit(options);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_NE(run->exit_code, 0) << address;
    EXPECT_THAT(run->output, HasSubstr("is not loopback (every address its name resolves to "
                                       "must be); set observability.metrics_endpoint."
                                       "allow_off_loopback"))
        << address;
    EXPECT_THAT(run->output, Not(HasSubstr("listening on")));
  }
}

TEST_F(MetricsListenerAttackTest, ANameIsResolvedNotReadAsText) {
  // "127.example.invalid" starts like a loopback address; as a name it does
  // not resolve to one (.invalid names never resolve, RFC 6761).
  SecureOptions options;
  options.observability = "metrics_address: \"127.example.invalid:0\"";
  auto run = RunExpectingExit(options);
  ASSERT_TRUE(run.ok());
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("observability.metrics_address: \"127.example.invalid\" "
                                     "does not resolve"));
  // The same for the listener's own plaintext check.
  std::string config = absl::StrCat(Dir(), "/plaintext.textproto");
  WriteFile(config, absl::StrCat("listen_address: \"127.example.invalid:0\"\n",
                                 "security { plaintext: true audit { path: \"", Dir(),
                                 "/audit.jsonl\" } }\n"));
  run = RunExpectingExit(config);
  ASSERT_TRUE(run.ok());
  EXPECT_NE(run->exit_code, 0);
  EXPECT_THAT(run->output, HasSubstr("serving without TLS on 127.example.invalid:0 (not "
                                     "loopback) also needs allow_plaintext_off_loopback"));
}

// GET /metrics over HTTPS; the HTTP status, or 0 when there was no HTTP
// answer (a refused handshake).
int Scrape(int port, std::string const& ca, tests::testing::TestCertificate const* cert,
           std::string const& token, std::string* body) {
  // A refused handshake closes the connection under OpenSSL's writes: an
  // EPIPE to report, not a signal to die of.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<httplib::SSLClient> client =
      cert != nullptr
          ? std::make_unique<httplib::SSLClient>("127.0.0.1", port, cert->cert, cert->key)
          : std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  client->set_ca_cert_path(ca.c_str());
  client->set_connection_timeout(10);
  client->set_read_timeout(10);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
  auto answer = client->Get("/metrics", headers);
  if (!answer) return 0;
  *body = answer->body;
  return answer->status;
}

TEST_F(MetricsListenerAttackTest, MetricsCanRequireAClientCertificateAndABearerToken) {
  std::string scrape_tokens = Dir() + "/scrape-tokens.txt";
  WriteFile(scrape_tokens, server::security::HashTokenLine("prometheus", "scrape-5d1c") + "\n");
  auto const& ca = Ca();
  SecureOptions options;
  options.observability = absl::StrCat(
      "metrics_address: \"127.0.0.1:0\"\nmetrics_endpoint {\n  tls { cert_file: \"", ca.server_cert,
      "\" key_file: \"", ca.server_key, "\" client_ca_file: \"", ca.ca_cert,
      "\" require_client_certificate: true }\n  bearer_token_file: \"", scrape_tokens, "\"\n}");
  StartSecure(options);
  std::string log = env_->gateway().Output();
  std::string const kMarker = "metrics on https://127.0.0.1:";
  auto at = log.find(kMarker);
  ASSERT_NE(at, std::string::npos) << log;
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      log.substr(at + kMarker.size(), log.find('/', at + kMarker.size()) - at - kMarker.size()),
      &port));
  auto scraper = Certificate("prometheus", "/CN=prometheus");

  std::string body;
  EXPECT_EQ(Scrape(port, ca.ca_cert, &scraper, "scrape-5d1c", &body), 200);
  EXPECT_THAT(body, HasSubstr("linkgateway_audit_ready 1"));
  // The certificates' expiry, for the alerts: test_ca's end 2 days from now.
  for (char const* certificate : {"server", "client_ca", "metrics_server", "metrics_client_ca"}) {
    std::string const series = absl::StrCat(
        "linkgateway_tls_certificate_expiry_timestamp_seconds{certificate=\"", certificate, "\"} ");
    auto at = body.find(series);
    ASSERT_NE(at, std::string::npos) << series << " in\n" << body;
    double expiry = 0;
    ASSERT_TRUE(absl::SimpleAtod(
        body.substr(at + series.size(), body.find('\n', at) - at - series.size()), &expiry));
    double left = expiry - absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
    EXPECT_GT(left, 47 * 3600) << certificate;
    EXPECT_LT(left, 49 * 3600) << certificate;
  }
  body.clear();
  EXPECT_EQ(Scrape(port, ca.ca_cert, &scraper, "guessed", &body), 401);
  EXPECT_EQ(Scrape(port, ca.ca_cert, &scraper, "", &body), 401);
  EXPECT_THAT(body, Not(HasSubstr("linkgateway_")));
  EXPECT_EQ(Scrape(port, ca.ca_cert, nullptr, "scrape-5d1c", &body), 0);  // no certificate
  httplib::Client plain("127.0.0.1", port);  // plain HTTP to the TLS port
  plain.set_connection_timeout(10);
  plain.set_read_timeout(10);
  auto answer = plain.Get("/metrics");
  EXPECT_TRUE(!answer || answer->status != 200);
}

}  // namespace
}  // namespace linkgateway::tests::security
