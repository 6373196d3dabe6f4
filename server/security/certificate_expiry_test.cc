#include "server/security/certificate_expiry.h"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::server::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(std::string const& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

class CertificateExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = tests::testing::MakeTestCertificates();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    auto expired = tests::testing::MakeCertificate(ca_, "old", "/CN=old", "", /*expired=*/true);
    ASSERT_TRUE(expired.ok()) << expired.status();
    expired_ = *expired;
    dir_ = ca_.ca_cert.substr(0, ca_.ca_cert.rfind('/'));
  }

  std::string Write(std::string const& name, std::string const& text) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << text;
    return path;
  }

  tests::testing::TestCertificates ca_;
  tests::testing::TestCertificate expired_;
  std::string dir_;
};

// test_ca's expired certificate ends at 2020-01-02T00:00:00Z.
constexpr std::int64_t kExpiredNotAfter = 1577923200;

TEST_F(CertificateExpiryTest, AChainEndsWithItsEarliestCertificate) {
  auto alone = EarliestExpiry(expired_.cert);
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(absl::ToUnixSeconds(*alone), kExpiredNotAfter);

  // The valid certificate first, the expired one after it (as in a chain).
  auto chain = EarliestExpiry(Write("chain.pem", Read(ca_.server_cert) + Read(expired_.cert)));
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(absl::ToUnixSeconds(*chain), kExpiredNotAfter);

  // test_ca's certificates are valid for 2 days from now.
  auto valid = EarliestExpiry(ca_.server_cert);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_GT(*valid, absl::Now() + absl::Hours(47));
  EXPECT_LT(*valid, absl::Now() + absl::Hours(49));
}

TEST_F(CertificateExpiryTest, AFileThatHoldsNoCertificateIsAnError) {
  EXPECT_THAT(EarliestExpiry(dir_ + "/absent.pem").status().message(),
              HasSubstr("absent.pem: cannot be read"));
  EXPECT_THAT(EarliestExpiry(ca_.server_key).status().message(),
              HasSubstr("server.key: holds no PEM certificate"));
  EXPECT_THAT(EarliestExpiry(Write("garbage.pem",
                                   "-----BEGIN CERTIFICATE-----\nnot base64\n"
                                   "-----END CERTIFICATE-----\n"))
                  .status()
                  .message(),
              HasSubstr("holds no PEM certificate"));
}

TEST_F(CertificateExpiryTest, EachConfiguredFileIsASeriesReadAtEveryScrape) {
  config::GatewayConfig config;
  std::string server_cert = Write("server-copy.pem", Read(expired_.cert));
  config.mutable_security()->mutable_tls()->set_cert_file(server_cert);
  config.mutable_security()->mutable_tls()->set_client_ca_file(ca_.ca_cert);
  auto* metrics_tls = config.mutable_observability()->mutable_metrics_endpoint()->mutable_tls();
  metrics_tls->set_cert_file(dir_ + "/missing.pem");
  std::string metrics_ca = Write("metrics-ca.pem", Read(expired_.cert));
  metrics_tls->set_client_ca_file(metrics_ca);
  observability::metrics::Registry registry;
  ExportCertificateExpiry(registry, config);

  std::string const kName = "linkgateway_tls_certificate_expiry_timestamp_seconds";
  std::string text = registry.Exposition();
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat(kName, "{certificate=\"server\"} ", kExpiredNotAfter, "\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(kName, "{certificate=\"client_ca\"} ")));
  // A file that cannot be read reads 0: already expired to the alerts.
  EXPECT_THAT(text, HasSubstr(absl::StrCat(kName, "{certificate=\"metrics_server\"} 0\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(kName, "{certificate=\"metrics_client_ca\"} ",
                                           kExpiredNotAfter, "\n")));

  // A renewed listener certificate shows at the next scrape.
  Write("server-copy.pem", Read(ca_.server_cert));
  EXPECT_THAT(registry.Exposition(),
              Not(HasSubstr(absl::StrCat(kName, "{certificate=\"server\"} ", kExpiredNotAfter))));
  // The metrics endpoint's files are what it read at start: a renewed file
  // is not what it serves until a restart.
  Write("metrics-ca.pem", Read(ca_.ca_cert));
  EXPECT_THAT(registry.Exposition(),
              HasSubstr(absl::StrCat(kName, "{certificate=\"metrics_client_ca\"} ",
                                     kExpiredNotAfter, "\n")));
}

TEST_F(CertificateExpiryTest, TheFamilyIsListedWithNoCertificateConfigured) {
  observability::metrics::Registry registry;
  ExportCertificateExpiry(registry, config::GatewayConfig());
  EXPECT_THAT(registry.Exposition(),
              HasSubstr("# TYPE linkgateway_tls_certificate_expiry_timestamp_seconds gauge\n"));
}

}  // namespace
}  // namespace linkgateway::server::security
