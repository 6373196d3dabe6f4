// The gRPC server: the three API services, health and reflection, behind
// the gateway's own listener, its limits (README "Limits and overload") and
// its security (README "Security").
#ifndef LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
#define LINKGATEWAY_SERVER_GATEWAY_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
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
#include "server/call/serving.h"
#include "server/call/stream_start_service.h"
#include "server/dependency_health.h"
#include "server/health_service.h"
#include "server/idempotency/memory_idempotency_store.h"
#include "server/listener.h"
#include "server/provider_health.h"
#include "server/reflection_service.h"
#include "server/security/authenticator.h"

namespace linkgateway::server {

using config::GatewayConfig;

// Services served beside the API's (e.g. unlink jobs), built once the
// server's serving context (limits, identity, policy, audit) exists; they
// live until the server has stopped.
class ServiceExtension {
 public:
  virtual ~ServiceExtension() = default;
  virtual std::vector<grpc::Service*> services() = 0;
  // Their full names, for reflection and health.
  virtual std::vector<std::string> service_names() const = 0;
  // What they depend on (e.g. {"job_store", probe}): watched by the server's
  // DependencyHealth, their services NOT_SERVING while it is.
  virtual std::vector<std::pair<std::string, DependencyHealth::Probe>> dependencies() {
    return {};
  }
};
using ExtensionFactory = std::function<absl::StatusOr<std::unique_ptr<ServiceExtension>>(
    GatewayConfig const&, call::Serving const&)>;

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
  // Each dependency's health (linkgateway.dependency.<name>): the audit
  // trail and the extension's are added by Start; more may be added.
  DependencyHealth& dependencies() { return *dependency_health_; }

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

  std::unique_ptr<security::Authenticator> authenticator_;
  std::unique_ptr<call::PolicyFile> policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<observability::access_log::AccessLog> access_log_;
  std::unique_ptr<idempotency::MemoryIdempotencyStore>
      own_idempotency_;  // when none was given
  call::CallLimiter limiter_;
  call::ConnectionLimiter connections_;
  call::Serving serving_;
  // The API's three services, served from each call's stream start.
  call::StreamStartService registrations_;
  call::StreamStartService subscriptions_;
  call::StreamStartService app_profiles_;
  HealthService health_;
  std::unique_ptr<ProviderHealth> provider_health_;
  std::unique_ptr<DependencyHealth> dependency_health_;
  std::unique_ptr<ReflectionIndex> reflection_index_;
  std::unique_ptr<ReflectionV1> reflection_v1_;
  std::unique_ptr<ReflectionV1Alpha> reflection_v1alpha_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<grpc::Server> server_;
  // After server_: destroyed first, once no call is served any more.
  std::unique_ptr<ServiceExtension> extension_;
  bool shut_down_ = false;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_GATEWAY_SERVER_H_
