// Where unlink jobs are kept: durably, so a job survives the gateway's
// restarts and (with a shared store) another replica can finish it.
//
// A job is one row with its steps (metadata with redacted targets: no access
// token is ever stored). Each step transition is written before the gateway
// acts on it: a step is saved RUNNING (its intent) before its request is
// sent, and saved again with its outcome.
//
// A replica runs the jobs it holds a lease on: it takes the lease when it
// creates a job, renews it while it lives, and claims unfinished jobs whose
// lease lapsed (its own after a restart, or a dead replica's).
#ifndef LINKGATEWAY_SERVER_UNLINK_JOB_STORE_H_
#define LINKGATEWAY_SERVER_UNLINK_JOB_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "linkgateway/v1/unlink.pb.h"

namespace linkgateway::server::unlink {

struct StoredJob {
  v1::UnlinkMetadata metadata;
  // Of the start request (targets and validate_only), to tell a repeated
  // start from a different one with the same request_id.
  std::string fingerprint;
  bool done = false;
};

struct JobQuery {
  // Only this caller's jobs; nullopt: every caller's.
  std::optional<std::string> caller;
  std::optional<bool> done;
  int page_size = 50;
  // From a previous page's next_page_token; "" = the newest first.
  std::string page_token;
};

struct JobPage {
  std::vector<StoredJob> jobs;
  std::string next_page_token;  // "" on the last page
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  struct Created {
    bool inserted = false;  // false: `job` is the one stored earlier
    StoredJob job;
  };
  // Stores `job` with `owner`'s lease until `lease_until`, unless the same
  // caller already has a job with the same non-empty request_id: then that
  // job is returned and nothing is written.
  virtual absl::StatusOr<Created> Create(StoredJob const& job, std::string const& owner,
                                         absl::Time lease_until) = 0;

  // Replaces step `index` of job `name` (and the job's update_time); on
  // disk when it returns. FAILED_PRECONDITION when `owner` no longer holds
  // the job's lease: another replica took it over, so this one must stop.
  virtual absl::Status SaveStep(std::string const& name, std::string const& owner, int index,
                                v1::UnlinkStep const& step) = 0;

  virtual absl::Status MarkCancelRequested(std::string const& name) = 0;
  // The job is finished; its lease is released.
  virtual absl::Status MarkDone(std::string const& name, std::string const& owner) = 0;

  // nullopt when there is no such job.
  virtual absl::StatusOr<std::optional<StoredJob>> Get(std::string const& name) = 0;
  virtual absl::StatusOr<JobPage> List(JobQuery const& query) = 0;

  // Which of the jobs `owner` holds already a claim returns: all (a replica
  // starting again under its name), or only those whose cancel was asked
  // meanwhile (a replica running the rest already: it need not read 10,000
  // jobs every lease/3).
  enum class Held { kAll, kCancelled };
  // Takes the lease of every unfinished job whose lease ended before `now`,
  // and of `owner`'s own as `held` says, until `lease_until`, and returns
  // them.
  virtual absl::StatusOr<std::vector<StoredJob>> Claim(std::string const& owner, absl::Time now,
                                                       absl::Time lease_until, Held held) = 0;
  // Extends `owner`'s leases of unfinished jobs to `lease_until`.
  virtual absl::Status Renew(std::string const& owner, absl::Time lease_until) = 0;

  // Forgets finished jobs updated before `before`; how many.
  virtual absl::StatusOr<int> Purge(absl::Time before) = 0;

  // Whether the store answers as it should, asked now: OK, or what is wrong
  // (unreachable, stalled, replaced or damaged). Bounded by the store's own
  // timeouts and never behind a call in progress, so the dependency health
  // (linkgateway.dependency.job_store) can ask it every second from a thread
  // of its own.
  virtual absl::Status Probe() { return absl::OkStatus(); }
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_JOB_STORE_H_
