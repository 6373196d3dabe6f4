// Who may read the metrics endpoint (config.observability): loopback unless
// allowed off it (every address its name resolves to is checked), HTTPS
// with an optional required client certificate, and an optional bearer
// token from a token file.
#ifndef LINKGATEWAY_SERVER_SECURITY_METRICS_SECURITY_H_
#define LINKGATEWAY_SERVER_SECURITY_METRICS_SECURITY_H_

#include "absl/status/statusor.h"
#include "config/checker.h"
#include "config/config.h"
#include "observability/metrics/http_endpoint.h"

namespace linkgateway::server::security {

// Checks observability.metrics_address and observability.metrics_endpoint.
void CheckMetricsEndpoint(config::GatewayConfig const& config, config::Checker& check);

// The endpoint's options for config.observability (its bearer token file
// loaded and watched, failing closed).
absl::StatusOr<observability::metrics::HttpEndpoint::Options> MetricsEndpointOptions(
    config::GatewayConfig const& config);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_METRICS_SECURITY_H_
