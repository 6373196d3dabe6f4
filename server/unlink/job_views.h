// What a caller may see of its jobs: one job (Get), its jobs (List), a job
// as it changes (Watch) or once it is done (Wait). Another caller's job is
// not there for it, not even its name. Store reads go through StoreCalls:
// never on the caller's thread, always within the call's deadline.
#ifndef LINKGATEWAY_SERVER_UNLINK_JOB_VIEWS_H_
#define LINKGATEWAY_SERVER_UNLINK_JOB_VIEWS_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/longrunning/operations.pb.h"
#include "server/security/caller.h"
#include "server/unlink/engine_core.h"
#include "server/unlink/job.h"
#include "server/unlink/store_calls.h"

namespace linkgateway::server::unlink {

template <typename T>
using Answer = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

class JobViews {
 public:
  JobViews(EngineCore& core, StoreCalls& calls) : core_(core), calls_(calls) {}

  // The job as it stands; NOT_FOUND unless it exists and is `caller`'s.
  void Visible(security::Caller const& caller, std::string const& name, absl::Time deadline,
               Answer<StoredJob> done);
  void Get(security::Caller const& caller, std::string const& name, absl::Time deadline,
           Answer<google::longrunning::Operation> done);
  void List(security::Caller const& caller,
            google::longrunning::ListOperationsRequest const& request, absl::Time deadline,
            Answer<google::longrunning::ListOperationsResponse> done);
  // Calls `watcher` with the job as it is and after every change until it
  // is done (the last call has done = true); `done` gets the handle for
  // Unwatch.
  void Watch(security::Caller const& caller, std::string const& name, absl::Time deadline,
             Watcher watcher, Answer<std::int64_t> done);
  void Unwatch(std::int64_t handle) { core_.EndWatch(handle); }
  // The operation as soon as it is done, or as it stands at `until`
  // (google.longrunning WaitOperation).
  void Wait(security::Caller const& caller, std::string const& name, absl::Time until,
            Answer<google::longrunning::Operation> done);

 private:
  // A job not run here (finished, or another replica's): read from the
  // store every second (worker thread).
  void PollWatch(std::int64_t handle, std::string const& name, Watcher watcher, std::string last);

  EngineCore& core_;
  StoreCalls& calls_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_JOB_VIEWS_H_
