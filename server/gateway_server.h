// The gRPC server: every method of the API (the providers' RPCs and what
// extensions add, e.g. unlink jobs) served through the one call pipeline,
// health and reflection, behind the gateway's own listener, its limits
// (docs/operating.md) and its security (docs/security.md).
#ifndef LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
#define LINKGATEWAY_SERVER_GATEWAY_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "config/config.h"
#include "grpcpp/server.h"
#include "observability/access_log/access_log.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/audit/audit_log.h"
#include "server/call/call_limiter.h"
#include "server/call/connection_limiter.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/call/serving.h"
#include "server/call/stream_start_service.h"
#include "server/health_service.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/listener.h"
#include "server/provider_health.h"
#include "server/reflection_service.h"
#include "server/security/authenticator.h"
#include "server/security_health.h"

namespace linkgateway::server {

using config::GatewayConfig;

// Adds methods served beside the providers' RPCs (e.g. unlink jobs) once
// the pipeline exists; what it returns lives until the server has stopped.
using ExtensionFactory = std::function<absl::StatusOr<std::shared_ptr<void>>(
    GatewayConfig const&, call::Pipeline const&, call::MethodSet&)>;

class GatewayServer {
 public:
  // Starts serving on config.listen_address() with config.limits,
  // config.security and config.observability's access log (defaults
  // applied). `providers` and `metrics` must outlive the server. Fails when
  // the address cannot be bound or a security or log file cannot be opened.
  // `idempotency` (must outlive the server) keeps the records of deletes with
  // a request_id; null: an in-process store of the server's own.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(
      GatewayConfig const& config, adapters::operation::ProviderRegistry const& providers,
      observability::metrics::GatewayMetrics& metrics,
      idempotency::IdempotencyStore* idempotency = nullptr,
      ExtensionFactory extension = nullptr);

  ~GatewayServer();

  // The port actually bound (useful with port 0).
  int port() const { return listener_->port(); }

  call::CallLimiter const& limiter() const { return limiter_; }
  Listener const& listener() const { return *listener_; }
  audit::AuditLog const& audit() const { return *audit_; }

  // Reports NOT_SERVING to health checks, refuses new calls, lets in-flight
  // calls finish for up to `grace`, then cancels the rest. Returns when done.
  void Shutdown(absl::Duration grace);

 private:
  GatewayServer(GatewayConfig const& config, adapters::operation::ProviderRegistry const& providers,
                observability::metrics::GatewayMetrics& metrics,
                idempotency::IdempotencyStore* idempotency,
                std::unique_ptr<security::Authenticator> authenticator,
                std::unique_ptr<call::PolicyFile> policy,
                std::unique_ptr<observability::access_log::AccessLog> access_log);

  // Reflection of the served services (asking callers to authenticate
  // unless security.public_health_and_reflection).
  absl::Status ServeReflection(config::v1::Security const& security);
  // Binds the listener and starts the gRPC server with every service.
  absl::Status Serve(GatewayConfig const& config);

  std::unique_ptr<security::Authenticator> authenticator_;
  std::unique_ptr<call::PolicyFile> policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<observability::access_log::AccessLog> access_log_;
  std::unique_ptr<idempotency::MemoryIdempotencyStore>
      own_idempotency_;  // when none was given
  call::CallLimiter limiter_;
  call::ConnectionLimiter connections_;
  call::RefusalBudget refusals_;
  call::Serving serving_;
  call::Pipeline pipeline_;
  call::MethodSet methods_;
  // One per service the methods name, served from each call's stream start.
  std::map<std::string, std::unique_ptr<call::StreamStartService>> services_;
  HealthService health_;
  std::unique_ptr<ProviderHealth> provider_health_;
  std::unique_ptr<SecurityHealth> security_health_;
  std::unique_ptr<ReflectionIndex> reflection_index_;
  std::unique_ptr<ReflectionV1> reflection_v1_;
  std::unique_ptr<ReflectionV1Alpha> reflection_v1alpha_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<grpc::Server> server_;
  // After server_: destroyed first, once no call is served any more.
  std::shared_ptr<void> extension_;
  bool shut_down_ = false;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
