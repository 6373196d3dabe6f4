// One unlink job as the engine holds it while it runs, and the small rules
// every part of the engine shares about jobs and steps.
#ifndef LINKGATEWAY_SERVER_UNLINK_JOB_H_
#define LINKGATEWAY_SERVER_UNLINK_JOB_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "linkgateway/v1/unlink.pb.h"
#include "server/security/caller.h"
#include "server/unlink/job_store.h"

namespace linkgateway::server::unlink {

// (metadata, done); runs on the engine's worker thread: must not block.
using Watcher = std::function<void(v1::UnlinkMetadata const&, bool)>;

struct Job {
  StoredJob stored;  // changed on the worker, under the engine's lock
  // The targets as started (with credentials) or, after a restart, as
  // stored (without): secrets_missing says which lack what they need.
  std::vector<v1::UnlinkTarget> targets;
  std::vector<bool> secrets_missing;
  absl::flat_hash_map<std::int64_t, Watcher> watchers;  // under the engine's lock
  // Outcomes the store has not taken yet, by step (worker only): retried
  // until they land, and nothing else of the job moves meanwhile.
  std::map<int, v1::UnlinkStep> unsaved;
  bool dropped = false;  // worker only: another replica holds it now
  // Who started it and how they proved it; after a restart, the stored
  // principal only.
  security::Caller caller;
};
using JobPtr = std::shared_ptr<Job>;

JobPtr MakeJob(StoredJob stored, std::vector<v1::UnlinkTarget> targets, security::Caller caller);

// A step that reached its end state.
bool Terminal(v1::UnlinkStepState state);

google::protobuf::Timestamp Stamp(absl::Time t);

// The provider a target's delete goes to (its target case, e.g.
// "sms_voice"), or "".
std::string ProviderOfTarget(v1::UnlinkTarget const& target);

// The provider account a target names ("" when its provider has none).
std::string AccountOfTarget(v1::UnlinkTarget const& target);

// The queue a target's step waits in: one per provider account, so that one
// account's rate limit never holds up another's steps — "sms_voice/eu", or
// the provider alone when it has no accounts.
std::string LaneOf(v1::UnlinkTarget const& target);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_JOB_H_
