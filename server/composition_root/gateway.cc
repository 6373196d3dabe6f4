#include "server/composition_root/gateway.h"

#include <curl/curl.h>

#include <string>
#include <utility>

#include "grpcpp/grpcpp.h"
#include "observability/log/log.h"
#include "server/audit/audit_metrics.h"
#include "server/security/metrics_security.h"
#include "server/unlink/unlink_service.h"
#include "server/version.h"

namespace linkgateway::server::composition_root {

namespace log = observability::log;

Gateway::Gateway()
    : metrics_({{"version", kVersion},
                {"grpc_version", grpc::Version()},
                {"curl_version", curl_version_info(CURLVERSION_NOW)->version}}) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(config::GatewayConfig const& config,
                                                        bool* configuration_error) {
  std::unique_ptr<Gateway> gateway(new Gateway());
  *configuration_error = true;
  auto shared_state = SharedState::Create(config, gateway->metrics_);
  if (!shared_state.ok()) return shared_state.status();
  gateway->shared_state_ = *std::move(shared_state);
  auto providers = Providers::Create(config, gateway->metrics_, gateway->shared_state_.get());
  if (!providers.ok()) return providers.status();
  gateway->providers_ = *std::move(providers);
  *configuration_error = false;

  auto const& registry = gateway->providers_->registry();
  // Unlink jobs: their methods join the providers' in the one method set.
  auto unlink_jobs = [&registry](
                         config::GatewayConfig const& config, call::Pipeline const& pipeline,
                         call::MethodSet& methods) -> absl::StatusOr<std::shared_ptr<void>> {
    auto jobs = unlink::UnlinkJobs::Create(config, pipeline, methods, registry);
    if (!jobs.ok()) return jobs.status();
    return std::shared_ptr<void>(*std::move(jobs));
  };
  auto server = GatewayServer::Start(config, registry, gateway->metrics_,
                                     &gateway->shared_state_->idempotency(), unlink_jobs);
  if (!server.ok()) return server.status();
  gateway->server_ = *std::move(server);

  audit::ExportAuditMetrics(gateway->metrics_.registry(), gateway->server_->audit());

  std::string const& metrics_address = config.observability().metrics_address();
  if (!metrics_address.empty()) {
    // Its own TLS, client CA and bearer token (security.metrics_endpoint).
    auto options = security::MetricsEndpointOptions(config);
    if (!options.ok()) return options.status();
    auto endpoint = observability::metrics::HttpEndpoint::Start(*std::move(options),
                                                                gateway->metrics_.registry());
    if (!endpoint.ok()) return endpoint.status();
    gateway->metrics_endpoint_ = *std::move(endpoint);
    log::Info("metrics on ", gateway->metrics_endpoint_->scheme(), "://",
              metrics_address.substr(0, metrics_address.rfind(':')), ":",
              gateway->metrics_endpoint_->port(), "/metrics");
  }
  return gateway;
}

Gateway::~Gateway() {
  if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
  metrics_endpoint_.reset();
  server_.reset();
  providers_.reset();  // answers whatever upstream work is left
  shared_state_.reset();
}

}  // namespace linkgateway::server::composition_root
