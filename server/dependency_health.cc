#include "server/dependency_health.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "observability/log/log.h"

namespace linkgateway::server {

DependencyHealth::DependencyHealth(HealthService& health,
                                   observability::metrics::GatewayMetrics& metrics,
                                   absl::Duration interval, absl::Duration stuck_after)
    : health_(health), metrics_(metrics), interval_(interval), stuck_after_(stuck_after) {
  watchdog_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(interval_ / 4)) Watchdog();
  });
}

DependencyHealth::~DependencyHealth() {
  stop_.Notify();
  watchdog_.join();
  std::vector<std::thread*> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& dependency : dependencies_) threads.push_back(&dependency->thread);
  }
  for (auto* thread : threads) thread->join();
}

void DependencyHealth::Add(std::string const& name, Probe probe,
                           std::vector<std::string> services) {
  auto owned = std::make_unique<Dependency>();
  Dependency* dependency = owned.get();
  dependency->name = name;
  dependency->probe = std::move(probe);
  dependency->services = std::move(services);
  {
    absl::MutexLock lock(&mu_);
    dependencies_.push_back(std::move(owned));
  }
  Check(*dependency);
  absl::MutexLock lock(&mu_);
  dependency->thread = std::thread([this, dependency] {
    while (!stop_.WaitForNotificationWithTimeout(interval_)) Check(*dependency);
  });
}

absl::Status DependencyHealth::status(std::string const& name) const {
  absl::MutexLock lock(&mu_);
  for (auto const& dependency : dependencies_) {
    if (dependency->name == name) return dependency->last;
  }
  return absl::NotFoundError(absl::StrCat("dependency ", name, " is not watched"));
}

void DependencyHealth::Check(Dependency& dependency) {
  {
    absl::MutexLock lock(&mu_);
    dependency.running_since = absl::Now();
    dependency.stuck_reported = false;
  }
  absl::Status status = dependency.probe();
  absl::MutexLock lock(&mu_);
  dependency.running_since = absl::InfiniteFuture();
  Apply(dependency, std::move(status));
}

void DependencyHealth::Watchdog() {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  for (auto& dependency : dependencies_) {
    if (dependency->stuck_reported || dependency->running_since == absl::InfiniteFuture()) continue;
    absl::Duration waited = now - dependency->running_since;
    if (waited < stuck_after_) continue;
    dependency->stuck_reported = true;
    Apply(*dependency, absl::UnavailableError(absl::StrCat(
                           "its check has not answered for ",
                           absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(100))))));
  }
}

void DependencyHealth::Apply(Dependency& dependency, absl::Status status) {
  bool serving = status.ok();
  bool changed = !dependency.checked || dependency.last.ok() != serving;
  bool was_checked = dependency.checked;
  dependency.checked = true;
  dependency.last = std::move(status);
  health_.Set(absl::StrCat(kDependencyHealthPrefix, dependency.name), serving);
  for (auto const& service : dependency.services) {
    health_.SetCondition(service, absl::StrCat("dependency ", dependency.name), serving);
  }
  metrics_.SetDependencyUp(dependency.name, serving);
  if (changed && !serving) {
    observability::log::Warning("dependency ", dependency.name,
                                " is NOT_SERVING: ", dependency.last.message());
  } else if (changed && was_checked) {
    observability::log::Info("dependency ", dependency.name, " is SERVING again");
  }
}

}  // namespace linkgateway::server
