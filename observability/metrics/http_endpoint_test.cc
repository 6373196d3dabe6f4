// The metrics endpoint over HTTPS: a scraper must trust the server's
// certificate, present a client certificate when one is required, and
// carry a bearer token the check accepts.
#include "observability/metrics/http_endpoint.h"

#include <curl/curl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_ca.h"

namespace linkgateway::observability::metrics {
namespace {

using ::testing::HasSubstr;

std::size_t Append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct Scrape {
  std::string ca;
  std::string cert;
  std::string key;
  std::string authorization;
};

// The status of GET url (0: no HTTP answer, e.g. a refused handshake).
long Get(std::string const& url, Scrape const& scrape, std::string* body = nullptr) {
  std::string ignored;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body != nullptr ? body : &ignored);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  if (!scrape.ca.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, scrape.ca.c_str());
  if (!scrape.cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, scrape.cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, scrape.key.c_str());
  }
  curl_slist* headers = nullptr;
  if (!scrape.authorization.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + scrape.authorization).c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

TEST(HttpEndpointTlsTest, ClientCertificateAndBearerTokenAreEnforced) {
  auto ca = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto scraper = tests::testing::MakeCertificate(*ca, "scraper", "/CN=prometheus", "");
  auto other_ca = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(scraper.ok() && other_ca.ok());
  auto stranger = tests::testing::MakeCertificate(*other_ca, "stranger", "/CN=prometheus", "");
  ASSERT_TRUE(stranger.ok());

  Registry registry;
  registry.AddCounter("served_total", "Served.").With({}).Increment(3);
  HttpEndpoint::Options options;
  options.address = "127.0.0.1:0";
  options.cert_file = ca->server_cert;
  options.key_file = ca->server_key;
  options.client_ca_file = ca->ca_cert;
  options.require_client_certificate = true;
  options.authorize = [](absl::string_view authorization) {
    return authorization == "Bearer scrape-token-1";
  };
  auto endpoint = HttpEndpoint::Start(options, registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_STREQ((*endpoint)->scheme(), "https");
  std::string url = absl::StrCat("https://127.0.0.1:", (*endpoint)->port(), "/metrics");

  Scrape good{ca->ca_cert, scraper->cert, scraper->key, "Bearer scrape-token-1"};
  std::string body;
  EXPECT_EQ(Get(url, good, &body), 200);
  EXPECT_THAT(body, HasSubstr("served_total 3\n"));

  Scrape no_certificate = good;
  no_certificate.cert.clear();
  EXPECT_EQ(Get(url, no_certificate), 0);  // the handshake fails
  Scrape foreign_certificate = good;
  foreign_certificate.cert = stranger->cert;
  foreign_certificate.key = stranger->key;
  EXPECT_EQ(Get(url, foreign_certificate), 0);
  Scrape wrong_token = good;
  wrong_token.authorization = "Bearer guessed";
  body.clear();
  EXPECT_EQ(Get(url, wrong_token, &body), 401);
  EXPECT_THAT(body, testing::Not(HasSubstr("served_total")));
  Scrape no_token = good;
  no_token.authorization.clear();
  EXPECT_EQ(Get(url, no_token), 401);
  // Plain HTTP to the TLS port gets no metrics.
  EXPECT_NE(Get(absl::StrCat("http://127.0.0.1:", (*endpoint)->port(), "/metrics"), {}), 200);
}

TEST(HttpEndpointTlsTest, MismatchedFilesAreStartErrors) {
  auto ca = tests::testing::MakeTestCertificates();
  ASSERT_TRUE(ca.ok());
  Registry registry;
  HttpEndpoint::Options options;
  options.address = "127.0.0.1:0";
  options.cert_file = ca->server_cert;
  EXPECT_FALSE(HttpEndpoint::Start(options, registry).ok());  // no key
  options.key_file = ca->ca_key;                              // not the certificate's key
  EXPECT_FALSE(HttpEndpoint::Start(options, registry).ok());
}

}  // namespace
}  // namespace linkgateway::observability::metrics
