#include "server/gateway_server.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace linkgateway::server {

using config::ToDuration;

GatewayServer::GatewayServer(GatewayConfig const& config,
                             adapters::ProviderRegistry const& providers)
    : registrations_(providers, ToDuration(config.default_deadline())),
      subscriptions_(providers, ToDuration(config.default_deadline())),
      app_profiles_(providers, ToDuration(config.default_deadline())) {}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(
    GatewayConfig const& config, adapters::ProviderRegistry const& providers) {
  // Both are process-wide switches that must be set before the builder exists.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<GatewayServer> gateway(new GatewayServer(config, providers));
  grpc::ServerBuilder builder;
  // TLS for callers is left to the deployment (mesh or proxy); see README.
  builder.AddListeningPort(config.listen_address(), grpc::InsecureServerCredentials(),
                           &gateway->port_);
  builder.RegisterService(&gateway->registrations_);
  builder.RegisterService(&gateway->subscriptions_);
  builder.RegisterService(&gateway->app_profiles_);
  gateway->server_ = builder.BuildAndStart();
  if (gateway->server_ == nullptr || gateway->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen_address()));
  }
  // Per-service health, so a probe can ask for the service it depends on.
  if (auto* health = gateway->server_->GetHealthCheckService()) {
    for (char const* service : {v1::RegistrationService::service_full_name(),
                                v1::SubscriptionService::service_full_name(),
                                v1::AppProfileService::service_full_name()}) {
      health->SetServingStatus(service, true);
    }
  }
  return gateway;
}

void GatewayServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;  // never started (e.g. cannot bind)
  shut_down_ = true;
  // Load balancers stop sending before the listener closes.
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

GatewayServer::~GatewayServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace linkgateway::server
