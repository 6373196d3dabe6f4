// Unlink jobs in a gateway: the job store the configuration names (a
// temporary one when it names none), the engine over it, and the job
// methods added to the gateway's methods (job_methods.h).
#ifndef LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_
#define LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/operation/provider_registry.h"
#include "config/config.h"
#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/unlink/job_store.h"
#include "server/unlink/unlink_engine.h"

namespace linkgateway::server::unlink {

class UnlinkJobs {
 public:
  // Opens the store, starts the engine (resuming unfinished jobs) and adds
  // the job methods to `methods`. All must outlive the result.
  static absl::StatusOr<std::unique_ptr<UnlinkJobs>> Create(
      config::GatewayConfig const& config, call::Pipeline const& pipeline, call::MethodSet& methods,
      adapters::operation::ProviderRegistry const& providers);
  ~UnlinkJobs();

  // Whether the job store answers now (for the job_store dependency
  // health); bounded by the store's own timeouts.
  absl::Status ProbeStore() { return store_->Probe(); }
  // The services of the job methods: only as healthy as the store.
  std::vector<std::string> const& services() const { return services_; }

 private:
  UnlinkJobs() = default;

  std::unique_ptr<JobStore> store_;
  std::filesystem::path temporary_;  // removed at exit; empty when none
  std::unique_ptr<UnlinkEngine> engine_;
  std::vector<std::string> services_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_UNLINK_SERVICE_H_
