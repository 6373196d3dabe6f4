#include "server/unlink/job.h"

#include <utility>

#include "adapters/operation/provider_registry.h"
#include "google/protobuf/util/time_util.h"
#include "server/request/request_fields.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {

JobPtr MakeJob(StoredJob stored, std::vector<v1::UnlinkTarget> targets, security::Caller caller) {
  auto job = std::make_shared<Job>();
  job->caller = std::move(caller);
  job->stored = std::move(stored);
  job->targets = std::move(targets);
  for (auto const& target : job->targets) {
    // Credentials are never stored: a resumed step whose key needs one has
    // none, and cannot be sent.
    job->secrets_missing.push_back(NeedsSecrets(target) && !HoldsSecrets(target));
  }
  return job;
}

bool Terminal(v1::UnlinkStepState state) {
  return state != v1::UNLINK_STEP_STATE_PENDING && state != v1::UNLINK_STEP_STATE_RUNNING &&
         state != v1::UNLINK_STEP_STATE_UNSPECIFIED;
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

std::string ProviderOfTarget(v1::UnlinkTarget const& target) {
  auto single = SingleDeleteFor(target);
  return single.ok() ? single->provider : "";
}

std::string AccountOfTarget(v1::UnlinkTarget const& target) { return request::AccountOf(target); }

std::string LaneOf(v1::UnlinkTarget const& target) {
  return adapters::operation::LaneOf(ProviderOfTarget(target), AccountOfTarget(target));
}

}  // namespace linkgateway::server::unlink
