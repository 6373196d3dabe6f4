// Unlink jobs' RPCs as methods of the call pipeline:
// linkgateway.v1.UnlinkService (StartUnlink, WatchUnlink) and
// google.longrunning.Operations (Get, List, Cancel, Wait; Delete is refused:
// a finished job is the record of what was deleted). StartUnlink, Cancel
// and Delete change jobs: every outcome of theirs is audited.
//
// StartUnlink asks the policy for the job's method and for each target as
// the single delete it stands for, and checks each target by that delete's
// own rules (the same Method objects the single RPCs use).
#ifndef LINKGATEWAY_SERVER_UNLINK_JOB_METHODS_H_
#define LINKGATEWAY_SERVER_UNLINK_JOB_METHODS_H_

#include "server/call/method_set.h"
#include "server/unlink/unlink_engine.h"

namespace linkgateway::server::unlink {

// Adds the job methods to `methods` (where the single deletes must be
// already); `engine` must outlive them.
void AddJobMethods(UnlinkEngine& engine, call::MethodSet& methods);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_JOB_METHODS_H_
