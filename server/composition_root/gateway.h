// The running gateway as main holds it: the metrics, the shared state, the
// providers, the server with its unlink jobs and the metrics endpoint, built
// from a prepared configuration in that order and stopped in the reverse.
#ifndef LINKGATEWAY_SERVER_COMPOSITION_ROOT_GATEWAY_H_
#define LINKGATEWAY_SERVER_COMPOSITION_ROOT_GATEWAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "observability/metrics/gateway_metrics.h"
#include "observability/metrics/http_endpoint.h"
#include "server/composition_root/composition_root.h"
#include "server/composition_root/shared_state.h"
#include "server/gateway_server.h"

namespace linkgateway::server::composition_root {

class Gateway {
 public:
  // `config` has been through PrepareConfig. A failure says what: a secret
  // that cannot be read (`configuration_error` set), or an address that
  // cannot be served.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(config::GatewayConfig const& config,
                                                        bool* configuration_error);
  // Drains (Drain) if that was not done, then stops everything.
  ~Gateway();

  int port() const { return server_->port(); }
  // Health NOT_SERVING, no new calls, in-flight calls finish within `grace`.
  void Drain(absl::Duration grace) { server_->Shutdown(grace); }

 private:
  Gateway();

  observability::metrics::GatewayMetrics metrics_;
  std::unique_ptr<SharedState> shared_state_;
  std::unique_ptr<Providers> providers_;
  std::unique_ptr<GatewayServer> server_;
  std::unique_ptr<observability::metrics::HttpEndpoint> metrics_endpoint_;
};

}  // namespace linkgateway::server::composition_root

#endif  // LINKGATEWAY_SERVER_COMPOSITION_ROOT_GATEWAY_H_
