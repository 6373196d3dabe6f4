// The certificates the configuration names, as a metric an alert can watch:
// linkgateway_tls_certificate_expiry_timestamp_seconds{certificate}, the
// earliest notAfter in each file, in Unix seconds.
#ifndef LINKGATEWAY_SERVER_SECURITY_CERTIFICATE_EXPIRY_H_
#define LINKGATEWAY_SERVER_SECURITY_CERTIFICATE_EXPIRY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "observability/metrics/registry.h"

namespace linkgateway::server::security {

// The earliest notAfter among the PEM certificates in `pem_file`: a chain
// (or a CA bundle's trust) ends when its first certificate expires. An error
// when the file cannot be read or holds no certificate.
absl::StatusOr<absl::Time> EarliestExpiry(std::string const& pem_file);

// One series per certificate file configured: certificate="server" and
// "client_ca" (security.tls), read at every scrape as gRPC re-reads them, so
// a renewed file shows without a restart; "metrics_server" and
// "metrics_client_ca" (observability.metrics_endpoint.tls), read once, as the
// endpoint reads them at start. A file that cannot be read or holds no
// certificate reads 0, which the expiry alerts take as already expired rather
// than falling silent. Once per registry; the family is listed even with no
// file configured.
void ExportCertificateExpiry(observability::metrics::Registry& registry,
                             config::GatewayConfig const& config);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_CERTIFICATE_EXPIRY_H_
