#include "server/security/metrics_security.h"

#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "config/loopback.h"
#include "server/security/token_file.h"
#include "server/security/watched_file.h"

namespace linkgateway::server::security {
namespace {

bool Readable(std::string const& path) { return !path.empty() && std::ifstream(path).good(); }

}  // namespace

void CheckMetricsEndpoint(config::GatewayConfig const& config, config::Checker& check) {
  auto const& observability = config.observability();
  auto const& endpoint = observability.metrics_endpoint();
  if (observability.metrics_address().empty()) return;
  if (!endpoint.allow_off_loopback()) {
    auto loopback = config::IsLoopbackHost(config::HostOf(observability.metrics_address()));
    if (!loopback.ok()) {
      check.Fail("observability.metrics_address", loopback.status().message());
    } else if (!*loopback) {
      check.Fail("observability.metrics_address",
                 absl::StrCat(observability.metrics_address(),
                              " is not loopback (every address its name resolves to must be); "
                              "set observability.metrics_endpoint.allow_off_loopback to serve "
                              "metrics there"));
    }
  }
  if (endpoint.has_tls()) {
    auto const& tls = endpoint.tls();
    if (!Readable(tls.cert_file())) {
      check.Fail("observability.metrics_endpoint.tls.cert_file", "cannot be read");
    }
    if (!Readable(tls.key_file())) {
      check.Fail("observability.metrics_endpoint.tls.key_file", "cannot be read");
    }
    if (!tls.client_ca_file().empty() && !Readable(tls.client_ca_file())) {
      check.Fail("observability.metrics_endpoint.tls.client_ca_file", "cannot be read");
    }
    if (tls.require_client_certificate() && tls.client_ca_file().empty()) {
      check.Fail("observability.metrics_endpoint.tls.require_client_certificate",
                 "needs client_ca_file");
    }
    if (tls.has_refresh_interval()) {
      check.Fail("observability.metrics_endpoint.tls.refresh_interval",
                 "does not apply: the metrics endpoint reads its files at start-up");
    }
  }
  if (!endpoint.bearer_token_file().empty()) {
    auto tokens =
        LoadTokenFile(endpoint.bearer_token_file(), WatchedFileOptionsFrom(config.security()));
    if (!tokens.ok()) {
      check.Fail("observability.metrics_endpoint.bearer_token_file", tokens.status().message());
    }
  }
}

absl::StatusOr<observability::metrics::HttpEndpoint::Options> MetricsEndpointOptions(
    config::GatewayConfig const& config) {
  auto const& observability = config.observability();
  auto const& endpoint = observability.metrics_endpoint();
  observability::metrics::HttpEndpoint::Options options;
  options.address = observability.metrics_address();
  if (endpoint.has_tls()) {
    options.cert_file = endpoint.tls().cert_file();
    options.key_file = endpoint.tls().key_file();
    options.client_ca_file = endpoint.tls().client_ca_file();
    options.require_client_certificate = endpoint.tls().require_client_certificate();
  }
  if (!endpoint.bearer_token_file().empty()) {
    auto loaded =
        LoadTokenFile(endpoint.bearer_token_file(), WatchedFileOptionsFrom(config.security()));
    if (!loaded.ok()) return loaded.status();
    std::shared_ptr<TokenFile> tokens = *std::move(loaded);
    options.authorize = [tokens](absl::string_view authorization) {
      if (authorization.size() < 7 ||
          !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
        return false;
      }
      return FindToken(*tokens->Get(), absl::StripAsciiWhitespace(authorization.substr(7)))
          .has_value();
    };
  }
  return options;
}

}  // namespace linkgateway::server::security
