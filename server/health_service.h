// grpc.health.v1.Health, served by the gateway itself (instead of gRPC's
// built-in one) so that it answers per service and overall, turns
// NOT_SERVING during drain, and can ask callers to authenticate like every
// other method (security.public_health_and_reflection).
#ifndef LINKGATEWAY_SERVER_HEALTH_SERVICE_H_
#define LINKGATEWAY_SERVER_HEALTH_SERVICE_H_

#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/security/authenticator.h"

namespace linkgateway::server {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // `authenticator` (may be null: anyone may ask) must outlive the service.
  explicit HealthService(security::Authenticator const* authenticator)
      : authenticator_(authenticator) {}
  ~HealthService() override;

  // Sets one service's status ("" = the server as a whole); watchers hear it.
  void Set(std::string const& service, bool serving) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether `condition` (e.g. "dependency job_store") holds for `service`:
  // a service is SERVING only while Set says so and every condition put on
  // it holds, so what Set and each condition's owner say never overwrite
  // each other.
  void SetCondition(std::string const& service, std::string const& condition, bool holds)
      ABSL_LOCKS_EXCLUDED(mu_);
  // What Check answers for `service` now.
  ServingStatus status(std::string const& service) const ABSL_LOCKS_EXCLUDED(mu_);
  // Every service NOT_SERVING from now on (drain); watchers hear it.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  grpc::health::v1::HealthCheckRequest const* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      grpc::health::v1::HealthCheckRequest const* request) override;

 private:
  class Watcher;
  friend class Watcher;

  // SERVICE_UNKNOWN for a service never set.
  ServingStatus StatusOf(std::string const& service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(std::string const& service) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  security::Authenticator const* const authenticator_;
  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  // Per service, the conditions that do not hold now.
  std::map<std::string, std::set<std::string>> unmet_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_HEALTH_SERVICE_H_
