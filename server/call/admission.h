// Admission to the gateway, at the moment a call's stream starts
// (stream_start_service.h): a slot on the caller's connection and one of the
// gateway's calls in flight, or an answer at once (RESOURCE_EXHAUSTED) with
// nothing read.
#ifndef LINKGATEWAY_SERVER_CALL_ADMISSION_H_
#define LINKGATEWAY_SERVER_CALL_ADMISSION_H_

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "server/call/serving.h"
#include "server/call/stream_start_service.h"

namespace linkgateway::server::call {

// The caller's deadline, or now + `default_deadline` when it sent none.
absl::Time EffectiveDeadline(grpc::CallbackServerContext const& context,
                             absl::Duration default_deadline);

// Takes a slot on the caller's connection (`connection`, set to its peer)
// and one of the gateway's for a call whose stream just started: nullptr
// when both were taken (release them with Release), else the reactor that
// refuses the call at once.
StreamStartService::Reactor* AdmitOrRefuse(grpc::CallbackServerContext* context,
                                           Serving const& serving, std::string& connection);

// The slots an admitted call holds: the gateway-wide one is for the call's
// work and ends with its answer (ReleaseCallSlot); the connection's is kept
// until the stream is done (Release).
class Admitted {
 public:
  Admitted(Serving const& serving, std::string connection)
      : serving_(serving), connection_(std::move(connection)) {}
  std::string const& connection() const { return connection_; }
  void ReleaseCallSlot();
  void Release();

 private:
  Serving const& serving_;
  std::string const connection_;
  std::atomic<bool> holds_call_slot_{true};
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_ADMISSION_H_
