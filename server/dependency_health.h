// Keeps each dependency's health true: the Redis of shared_state, the
// unlink job store, the audit trail. Each is asked (its probe) every
// `interval` on a thread of its own (one stalled dependency does not hold up
// the others); the answer sets the health service
// "linkgateway.dependency.<name>" (and the services that need it, e.g. the
// unlink services for the job store), the gauge
// linkgateway_dependency_up{dependency="<name>"}, and a log line when it
// changes. A probe that has not answered for `stuck_after` counts as
// NOT_SERVING meanwhile: a stalled dependency cannot make its health lie.
#ifndef LINKGATEWAY_SERVER_DEPENDENCY_HEALTH_H_
#define LINKGATEWAY_SERVER_DEPENDENCY_HEALTH_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "observability/metrics/gateway_metrics.h"
#include "server/health_service.h"

namespace linkgateway::server {

inline constexpr char kDependencyHealthPrefix[] = "linkgateway.dependency.";

class DependencyHealth {
 public:
  // OK, or what is wrong. May wait (bounded by the dependency's own
  // timeouts); runs on the prober's thread.
  using Probe = std::function<absl::Status()>;

  // `health` and `metrics` must outlive this object.
  DependencyHealth(HealthService& health, observability::metrics::GatewayMetrics& metrics,
                   absl::Duration interval = absl::Seconds(1),
                   absl::Duration stuck_after = absl::Seconds(2));
  ~DependencyHealth();  // stops the threads; no probe runs after

  // Watches `name` from now on (probed once before Add returns). `services`
  // are health services that are only as healthy as it.
  void Add(std::string const& name, Probe probe, std::vector<std::string> services = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // The latest answer for `name` (NOT_FOUND when not watched).
  absl::Status status(std::string const& name) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Dependency {
    std::string name;
    Probe probe;
    std::vector<std::string> services;
    absl::Status last;
    bool checked = false;
    // The probe under way since (InfiniteFuture when none), and whether the
    // watchdog already said it is stuck.
    absl::Time running_since = absl::InfiniteFuture();
    bool stuck_reported = false;
    std::thread thread;
  };

  void Check(Dependency& dependency) ABSL_LOCKS_EXCLUDED(mu_);
  void Watchdog() ABSL_LOCKS_EXCLUDED(mu_);
  void Apply(Dependency& dependency, absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  HealthService& health_;
  observability::metrics::GatewayMetrics& metrics_;
  absl::Duration const interval_;
  absl::Duration const stuck_after_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Dependency>> dependencies_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread watchdog_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_DEPENDENCY_HEALTH_H_
