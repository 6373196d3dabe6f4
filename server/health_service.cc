#include "server/health_service.h"

#include <memory>
#include <utility>

#include "server/call/grpc_status.h"

namespace linkgateway::server {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch call: sends the status now and after every change, until the
// caller leaves or the server stops it.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService* health, std::string service)
      : health_(health), service_(std::move(service)) {
    absl::MutexLock lock(&health_->mu_);
    health_->watchers_.insert(this);
    SendLocked(health_->StatusOf(service_));
  }

  std::string const& service() const { return service_; }

  // Called under health_->mu_ when the status may have changed.
  void SendLocked(ServingStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_->mu_) {
    if (finished_ || (sent_once_ && status == last_)) return;
    pending_ = status;
    has_pending_ = true;
    sent_once_ = true;
    last_ = status;
    if (!writing_) WriteNextLocked();
  }

  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_->mu_) {
    if (finished_) return;
    finished_ = true;
    if (!writing_) Finish(grpc::Status::OK);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&health_->mu_);
    writing_ = false;
    if (!ok) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (has_pending_) return WriteNextLocked();
    if (finished_) Finish(grpc::Status::OK);
  }

  void OnCancel() override {
    absl::MutexLock lock(&health_->mu_);
    FinishLocked();
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&health_->mu_);
      health_->watchers_.erase(this);
    }
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_->mu_) {
    response_.set_status(pending_);
    has_pending_ = false;
    writing_ = true;
    StartWrite(&response_);
  }

  HealthService* const health_;
  std::string const service_;
  HealthCheckResponse response_;
  ServingStatus pending_ = HealthCheckResponse::UNKNOWN;
  ServingStatus last_ = HealthCheckResponse::UNKNOWN;
  bool has_pending_ = false;
  bool sent_once_ = false;
  bool writing_ = false;
  bool finished_ = false;
};

HealthService::~HealthService() = default;

HealthService::ServingStatus HealthService::StatusOf(std::string const& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  auto unmet = unmet_.find(service);
  bool conditions_hold = unmet == unmet_.end() || unmet->second.empty();
  return it->second && conditions_hold && !shut_down_ ? HealthCheckResponse::SERVING
                                                      : HealthCheckResponse::NOT_SERVING;
}

void HealthService::Notify(std::string const& service) {
  for (auto* watcher : watchers_) {
    if (service.empty() || watcher->service() == service) {
      watcher->SendLocked(StatusOf(watcher->service()));
    }
  }
}

void HealthService::Set(std::string const& service, bool serving) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = serving_.emplace(service, serving);
  if (!inserted && it->second == serving) return;  // watchers hear changes only
  it->second = serving;
  Notify(service);
}

void HealthService::SetCondition(std::string const& service, std::string const& condition,
                                 bool holds) {
  absl::MutexLock lock(&mu_);
  auto& unmet = unmet_[service];
  bool changed = holds ? unmet.erase(condition) > 0 : unmet.insert(condition).second;
  if (changed) Notify(service);
}

HealthService::ServingStatus HealthService::status(std::string const& service) const {
  absl::MutexLock lock(&mu_);
  return StatusOf(service);
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto* watcher : watchers_) {
    watcher->SendLocked(StatusOf(watcher->service()));
    watcher->FinishLocked();
  }
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               HealthCheckRequest const* request,
                                               HealthCheckResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (authenticator_ != nullptr) {
    if (auto caller = authenticator_->Authenticate(*context); !caller.ok()) {
      reactor->Finish(call::ToGrpcStatus(caller.status()));
      return reactor;
    }
  }
  ServingStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = StatusOf(request->service());
  }
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
    return reactor;
  }
  response->set_status(status);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

namespace {

// A Watch refused at once.
class RefusedWatch final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  explicit RefusedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, HealthCheckRequest const* request) {
  if (authenticator_ != nullptr) {
    if (auto caller = authenticator_->Authenticate(*context); !caller.ok()) {
      return new RefusedWatch(call::ToGrpcStatus(caller.status()));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) {
      return new RefusedWatch(grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down"));
    }
  }
  return new Watcher(this, request->service());
}

}  // namespace linkgateway::server
