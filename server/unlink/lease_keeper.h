// Which jobs this replica runs: it claims unfinished jobs now and then every
// lease/3 — its own after a restart, and a dead replica's once that one's
// lease lapsed — renews its leases while it lives, adopts what it claimed,
// and forgets finished jobs after their retention.
#ifndef LINKGATEWAY_SERVER_UNLINK_LEASE_KEEPER_H_
#define LINKGATEWAY_SERVER_UNLINK_LEASE_KEEPER_H_

#include "absl/time/time.h"
#include "server/unlink/engine_core.h"
#include "server/unlink/job.h"
#include "server/unlink/step_runner.h"

namespace linkgateway::server::unlink {

class LeaseKeeper {
 public:
  LeaseKeeper(EngineCore& core, StepRunner& runner) : core_(core), runner_(runner) {}

  // Claims and renews now, then every lease/3.
  void Start();
  // Worker thread: starts running a registered job's steps.
  void Adopt(JobPtr const& job);

 private:
  void ClaimAndRenew();
  // Takes the unfinished jobs this replica holds or whose lease lapsed, and
  // adopts the ones it does not run yet.
  void Claim(absl::Time now);

  // Worker thread: the jobs this replica held before its start are claimed.
  bool claimed_own_ = false;

  EngineCore& core_;
  StepRunner& runner_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_LEASE_KEEPER_H_
