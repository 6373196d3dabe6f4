// The gRPC server: the three API services, health and reflection.
#ifndef LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
#define LINKGATEWAY_SERVER_GATEWAY_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "grpcpp/server.h"
#include "server/app_profile_service.h"
#include "config/config.h"
#include "server/registration_service.h"
#include "server/subscription_service.h"

namespace linkgateway::server {

using config::GatewayConfig;

class GatewayServer {
 public:
  // Starts serving on config.listen_address(). `providers` must outlive the
  // server.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(
      GatewayConfig const& config, adapters::ProviderRegistry const& providers);

  ~GatewayServer();

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

  // Reports NOT_SERVING to health checks, refuses new calls, lets in-flight
  // calls finish for up to `grace`, then cancels the rest. Returns when done.
  void Shutdown(absl::Duration grace);

 private:
  GatewayServer(GatewayConfig const& config, adapters::ProviderRegistry const& providers);

  RegistrationService registrations_;
  SubscriptionService subscriptions_;
  AppProfileService app_profiles_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
