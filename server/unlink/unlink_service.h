// The gRPC face of unlink jobs: linkgateway.v1.UnlinkService (StartUnlink,
// WatchUnlink) and google.longrunning.Operations (Get, List, Cancel, Wait;
// Delete is refused: a finished job is the record of what was deleted).
//
// Calls take the same path as the API's other calls (stream_start_service.h):
// a slot on the caller's connection and one of the gateway's, then the
// caller's identity and the policy for the method; each step of a job is
// then authorized as the single delete it stands for (unlink_engine.h).
#ifndef LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_
#define LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/call/serving.h"
#include "server/call/stream_start_service.h"
#include "server/gateway_server.h"
#include "server/unlink/job_store.h"
#include "server/unlink/unlink_engine.h"

namespace linkgateway::server::unlink {

class UnlinkServices final : public ServiceExtension {
 public:
  // Opens the job store named by config.unlink (a temporary one when it
  // names none), starts the engine (resuming unfinished jobs) and builds the
  // services.
  static absl::StatusOr<std::unique_ptr<UnlinkServices>> Create(
      config::GatewayConfig const& config, server::call::Serving const& serving);
  ~UnlinkServices() override;

  std::vector<grpc::Service*> services() override { return {&unlink_, &operations_}; }
  std::vector<std::string> service_names() const override;

 private:
  UnlinkServices(server::call::Serving const& serving, std::unique_ptr<JobStore> store,
                 std::filesystem::path temporary, EngineOptions options);

  server::call::Serving const& serving_;
  std::unique_ptr<JobStore> store_;
  std::filesystem::path const temporary_;  // removed at exit; empty when none
  std::unique_ptr<UnlinkEngine> engine_;
  server::call::StreamStartService unlink_;
  server::call::StreamStartService operations_;
};

// What GatewayServer::Start takes to serve unlink jobs.
ExtensionFactory UnlinkServicesFactory();

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_
