#include "server/unlink/lease_keeper.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "observability/log/log.h"

namespace linkgateway::server::unlink {

namespace log = observability::log;

void LeaseKeeper::Start() {
  core_.worker().Post([this] { ClaimAndRenew(); });
}

void LeaseKeeper::Adopt(JobPtr const& job) {
  runner_.Recover(job);
  runner_.Pump();
  core_.MaybeComplete(job);
}

void LeaseKeeper::Claim(absl::Time now) {
  auto const& options = core_.options();
  // Its own jobs once, after the start; then only the lapsed ones, and its
  // own when a cancel was asked at another replica.
  auto claimed =
      core_.store().Claim(options.owner, now, now + options.lease,
                          claimed_own_ ? JobStore::Held::kCancelled : JobStore::Held::kAll);
  if (!claimed.ok()) {
    log::Warning("unlink: cannot claim unfinished jobs: ", claimed.status().message());
    return;
  }
  claimed_own_ = true;
  for (auto& stored : *claimed) {
    std::vector<v1::UnlinkTarget> targets;
    for (auto const& step : stored.metadata.steps()) targets.push_back(step.target());
    security::Caller caller;
    caller.principal = stored.metadata.caller();
    auto job = MakeJob(std::move(stored), std::move(targets), std::move(caller));
    // A job this replica runs already (or is starting) is not adopted
    // twice; a cancel asked at another replica reaches it here.
    if (!core_.Register(job)) {
      if (job->stored.metadata.cancel_requested()) {
        core_.ApplyCancel(job->stored.metadata.name());
      }
      continue;
    }
    log::Info("unlink: resuming ", job->stored.metadata.name());
    Adopt(job);
  }
}

void LeaseKeeper::ClaimAndRenew() {
  if (core_.stopping()) return;
  auto const& options = core_.options();
  JobStore& store = core_.store();
  absl::Time now = absl::Now();
  if (absl::Status renewed = store.Renew(options.owner, now + options.lease); !renewed.ok()) {
    log::Warning("unlink: cannot renew this gateway's job leases: ", renewed.message());
  }
  // A replica that cannot record the outcomes it has takes on no more work
  // (its own jobs stay leased, their outcomes written again until they land).
  bool unsaved = false;
  core_.ForEachJob([&unsaved](Job& job) { unsaved = unsaved || !job.unsaved.empty(); });
  if (unsaved) {
    log::Warning("unlink: claiming no jobs while outcomes wait to be recorded");
  } else {
    Claim(now);
  }
  absl::Time before = now - options.retention;
  if (auto purged = store.Purge(before); purged.ok() && *purged > 0) {
    log::Info("unlink: forgot ", *purged, " jobs finished before ", absl::FormatTime(before));
  }
  core_.worker().PostAt(absl::Now() + options.lease / 3, [this] { ClaimAndRenew(); });
}

}  // namespace linkgateway::server::unlink
