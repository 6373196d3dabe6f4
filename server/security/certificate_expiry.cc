#include "server/security/certificate_expiry.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::server::security {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

std::optional<absl::Time> NotAfter(X509 const* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return absl::FromTimeT(timegm(&tm));
}

}  // namespace

absl::StatusOr<absl::Time> EarliestExpiry(std::string const& pem_file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(pem_file.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat(pem_file, ": cannot be read"));
  }
  std::optional<absl::Time> earliest;
  while (true) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;  // the end of the file, or a block that is not a certificate
    std::optional<absl::Time> not_after = NotAfter(cert.get());
    if (!not_after.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(pem_file,
                                                     ": a certificate's notAfter "
                                                     "cannot be read"));
    }
    if (!earliest.has_value() || *not_after < *earliest) earliest = not_after;
  }
  ERR_clear_error();  // PEM_read_bio_X509 leaves "no start line" at the end
  if (!earliest.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(pem_file, ": holds no PEM certificate"));
  }
  return *earliest;
}

namespace {

double ExpirySeconds(std::string const& path) {
  auto expiry = EarliestExpiry(path);
  return expiry.ok() ? absl::ToDoubleSeconds(*expiry - absl::UnixEpoch()) : 0.0;
}

}  // namespace

void ExportCertificateExpiry(observability::metrics::Registry& registry,
                             config::GatewayConfig const& config) {
  std::vector<observability::metrics::CallbackSeries> series;
  // gRPC's certificate provider re-reads the listener's files, so they are
  // read at each scrape; the metrics endpoint reads its own once, at start,
  // so the value is what it serves, not what a renewed file would give.
  auto reread = [&series](std::string label, std::string const& path) {
    if (path.empty()) return;
    series.push_back({{std::move(label)}, [path] { return ExpirySeconds(path); }});
  };
  auto read_once = [&series](std::string label, std::string const& path) {
    if (path.empty()) return;
    series.push_back({{std::move(label)}, [value = ExpirySeconds(path)] { return value; }});
  };
  auto const& tls = config.security().tls();
  reread("server", tls.cert_file());
  reread("client_ca", tls.client_ca_file());
  auto const& metrics_tls = config.observability().metrics_endpoint().tls();
  read_once("metrics_server", metrics_tls.cert_file());
  read_once("metrics_client_ca", metrics_tls.client_ca_file());
  registry.AddCallbackGauges(
      "linkgateway_tls_certificate_expiry_timestamp_seconds",
      "The earliest notAfter (Unix seconds) among the certificates in each certificate file the "
      "configuration names: the listener's read at each scrape, the metrics endpoint's as read "
      "at start; 0 while the file cannot be read or holds no certificate.",
      {"certificate"}, std::move(series));
}

}  // namespace linkgateway::server::security
