#include "server/security/listener_security.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "config/loopback.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "server/audit/signing.h"
#include "server/security/authorization_policy.h"
#include "server/security/metrics_security.h"
#include "server/security/token_file.h"
#include "server/security/watched_file.h"

namespace linkgateway::server::security {
namespace {

bool Readable(std::string const& path) { return !path.empty() && std::ifstream(path).good(); }

bool Authenticates(config::v1::Security const& security) {
  return security.authentication().mtls() || !security.authentication().token_file().empty();
}

}  // namespace

bool IsLoopback(std::string const& listen_address) {
  auto loopback = config::IsLoopbackHost(config::HostOf(listen_address));
  return loopback.ok() && *loopback;  // a name that does not resolve is not loopback
}

void CheckSecurity(config::GatewayConfig const& config, config::Checker& check) {
  auto const& security = config.security();
  bool loopback = IsLoopback(config.listen_address());
  if (security.has_tls()) {
    auto const& tls = security.tls();
    if (security.plaintext()) check.Fail("security.plaintext", "cannot be set together with tls");
    if (!Readable(tls.cert_file())) check.Fail("security.tls.cert_file", "cannot be read");
    if (!Readable(tls.key_file())) check.Fail("security.tls.key_file", "cannot be read");
    if (!tls.client_ca_file().empty() && !Readable(tls.client_ca_file())) {
      check.Fail("security.tls.client_ca_file", "cannot be read");
    }
    if (tls.require_client_certificate() && tls.client_ca_file().empty()) {
      check.Fail("security.tls.require_client_certificate", "needs client_ca_file");
    }
    check.NotNegative("security.tls.refresh_interval", tls.refresh_interval());
  } else if (!security.plaintext()) {
    check.Fail("security", "configure tls, or set plaintext: true to serve without TLS");
  } else if (!loopback && !security.allow_plaintext_off_loopback()) {
    check.Fail("security.plaintext",
               absl::StrCat("serving without TLS on ", config.listen_address(),
                            " (not loopback) also needs allow_plaintext_off_loopback"));
  }
  auto const& authentication = security.authentication();
  if (authentication.mtls() && security.tls().client_ca_file().empty()) {
    check.Fail("security.authentication.mtls", "needs security.tls.client_ca_file");
  }
  WatchedFileOptions files = WatchedFileOptionsFrom(security);
  if (!authentication.token_file().empty()) {
    auto tokens = LoadTokenFile(authentication.token_file(), files);
    if (!tokens.ok()) check.Fail("security.authentication.token_file", tokens.status().message());
  }
  if (!Authenticates(security) && !loopback && !security.allow_anonymous_off_loopback()) {
    check.Fail("security.authentication",
               absl::StrCat("callers on ", config.listen_address(),
                            " (not loopback) must authenticate, unless "
                            "allow_anonymous_off_loopback is set"));
  }
  if (!security.policy_file().empty()) {
    auto policy = LoadPolicyFile(security.policy_file(), files);
    if (!policy.ok()) check.Fail("security.policy_file", policy.status().message());
  }
  auto const& audit = security.audit();
  if (audit.max_file_bytes() < 0) {
    check.Fail("security.audit.max_file_bytes", "must not be negative");
  }
  if (audit.max_files() < 0) check.Fail("security.audit.max_files", "must not be negative");
  check.NotNegative("security.audit.rotate_interval", audit.rotate_interval());
  check.NotNegative("security.audit.min_retention", audit.min_retention());
  if (!audit.signing_key_file().empty()) {
    if (audit.path().empty()) check.Fail("security.audit.signing_key_file", "needs audit.path");
    auto key = audit::LoadSigningKey(audit.signing_key_file());
    if (!key.ok()) check.Fail("security.audit.signing_key_file", key.status().message());
  }
  CheckMetricsEndpoint(config, check);
}

std::vector<std::string> SecurityWarnings(config::GatewayConfig const& config) {
  std::vector<std::string> warnings;
  auto const& security = config.security();
  if (!security.has_tls()) {
    warnings.push_back(absl::StrCat("serving WITHOUT TLS on ", config.listen_address(),
                                    " (security.plaintext)"));
  }
  if (!Authenticates(security)) {
    warnings.push_back("callers are NOT authenticated: anyone who can connect may call every "
                       "method");
  }
  if (security.audit().path().empty()) {
    warnings.push_back("audit records go to this log, not to a durable file "
                       "(security.audit.path)");
  }
  auto const& observability = config.observability();
  auto const& metrics = observability.metrics_endpoint();
  if (!observability.metrics_address().empty() && metrics.allow_off_loopback() &&
      !metrics.tls().require_client_certificate() && metrics.bearer_token_file().empty()) {
    warnings.push_back(absl::StrCat("metrics on ", observability.metrics_address(),
                                    " may be read by anyone who can connect "
                                    "(observability.metrics_endpoint)"));
  }
  return warnings;
}

std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(
    config::v1::Security const& security) {
  if (!security.has_tls()) return grpc::InsecureServerCredentials();
  auto const& tls = security.tls();
  auto interval = config::ToDuration(tls.refresh_interval());
  unsigned refresh =
      interval > absl::ZeroDuration() ? static_cast<unsigned>(absl::ToInt64Seconds(interval)) : 10;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file(), tls.cert_file(), tls.client_ca_file(), std::max(1u, refresh));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file().empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        tls.require_client_certificate()
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace linkgateway::server::security
