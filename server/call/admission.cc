#include "server/call/admission.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "server/call/grpc_status.h"

namespace linkgateway::server::call {
namespace {

// A call refused at its start: answered at once, nothing read.
class RejectedCall final : public StreamStartService::Reactor {
 public:
  // `connection` (when set) is told once the answer has been delivered.
  RejectedCall(absl::Status const& status, ConnectionLimiter* connections = nullptr,
               std::string connection = "")
      : connections_(connections), connection_(std::move(connection)) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override {
    if (connections_ != nullptr) connections_->RefusalDone(connection_);
    delete this;
  }

 private:
  ConnectionLimiter* const connections_;
  std::string const connection_;
};

}  // namespace

absl::Time EffectiveDeadline(grpc::CallbackServerContext const& context,
                             absl::Duration default_deadline) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::Now() + default_deadline;
  }
  return absl::FromChrono(deadline);
}

StreamStartService::Reactor* AdmitOrRefuse(grpc::CallbackServerContext* context,
                                           Serving const& serving, std::string& connection) {
  connection = context->peer();
  if (!serving.connections.TryAcquire(connection)) {
    serving.metrics.Rejected(adapters::errors::reason::kTooManyStreams);
    return new RejectedCall(serving.connections.TooManyStreams(), &serving.connections, connection);
  }
  if (!serving.limiter.TryAcquire()) {
    serving.connections.Release(connection);
    serving.metrics.Rejected(adapters::errors::reason::kOverloaded);
    return new RejectedCall(serving.limiter.Overloaded());
  }
  return nullptr;
}

void Admitted::ReleaseCallSlot() {
  if (holds_call_slot_.exchange(false)) serving_.limiter.Release();
}

void Admitted::Release() {
  ReleaseCallSlot();
  serving_.connections.Release(connection_);
}

}  // namespace linkgateway::server::call
