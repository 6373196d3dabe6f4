// Unlink jobs as google.longrunning Operations: their names, the operation
// of a job as it stands, and ListOperations' filter.
#ifndef LINKGATEWAY_SERVER_UNLINK_OPERATIONS_H_
#define LINKGATEWAY_SERVER_UNLINK_OPERATIONS_H_

#include <string>

#include "absl/status/status.h"
#include "google/longrunning/operations.pb.h"
#include "server/unlink/job_store.h"

namespace linkgateway::server::unlink {

// "operations/unlink/" + a random UUID.
std::string NewOperationName();

// The long-running operation of a job as it stands: done with UnlinkResult
// when every step reached its end state, else with an error summing up the
// steps that did not (UNKNOWN when an outcome is unknown, the first failed
// step's code, or CANCELLED).
google::longrunning::Operation OperationOf(StoredJob const& job);

// ListOperations' filter (AIP-160, a subset): terms `caller = "<p>"` and
// `done = true|false` joined by AND; a caller may name only itself.
absl::Status ParseFilter(std::string const& filter, std::string const& principal, JobQuery& query);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_OPERATIONS_H_
