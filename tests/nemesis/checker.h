// The checker (after Jepsen's): reads what really happened — the
// emulators' request logs, every replica's audit trail, the jobs as their
// stores tell them — and holds it against the ledger and the rules:
//   - DELETEs per target within what the recovery rules allow (IMIconnect
//     once, SMS and Voice and SP-API at most 3 attempts);
//   - every DELETE sent has its audit record (attempts counted);
//   - no job left unfinished once every fault has healed;
//   - no HTTP 429 at the provider (the gateway keeps to the plan);
//   - no unrelated call (health, a delete without request_id) slowed past
//     its deadline, except on a replica the fault stopped;
//   - each dependency's health said NOT_SERVING while its fault ran, and
//     SERVING again at the end.
#ifndef LINKGATEWAY_TESTS_NEMESIS_CHECKER_H_
#define LINKGATEWAY_TESTS_NEMESIS_CHECKER_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/nemesis/cluster.h"
#include "tests/nemesis/faults.h"
#include "tests/nemesis/workload.h"

namespace linkgateway::tests::nemesis {

using TargetKey = std::pair<Provider, std::string>;

struct JobOutcome {
  bool done = false;
  std::string states;  // e.g. "SUCCEEDED,OUTCOME_UNKNOWN"
};

// What the servers saw.
struct Evidence {
  std::map<TargetKey, int> deletes;
  std::map<TargetKey, std::string> delete_window;  // of the first DELETE
  int http_429 = 0;
  std::map<TargetKey, int> audited_attempts;
  int audit_records = 0;
  int audit_unreadable = 0;
  std::map<std::string, JobOutcome> jobs;
};

// Waits up to `job_wait` for every job to finish, then reads the rest.
absl::StatusOr<Evidence> Gather(Cluster& cluster, Ledger const& ledger, absl::Duration job_wait);

struct Violation {
  std::string window;
  std::string rule;
  std::string what;
  // The coordinator's part of issue 24 to fix (the unlink engine, the call
  // path's write-ahead audit), reported apart.
  bool engine = false;
};

std::vector<Violation> Check(Evidence const& evidence, Ledger const& ledger,
                             std::vector<Fault> const& faults);

// Per window: calls by outcome, DELETEs per target, violations; then the
// violations themselves.
void Report(Evidence const& evidence, Ledger const& ledger, std::vector<Fault> const& faults,
            std::vector<Violation> const& violations);

}  // namespace linkgateway::tests::nemesis

#endif  // LINKGATEWAY_TESTS_NEMESIS_CHECKER_H_
