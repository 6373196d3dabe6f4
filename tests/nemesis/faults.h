// The nemeses (after Jepsen's): each breaks one dependency of the gateway as
// it breaks in production, then heals it. They run one after another while
// the workload runs.
#ifndef LINKGATEWAY_TESTS_NEMESIS_FAULTS_H_
#define LINKGATEWAY_TESTS_NEMESIS_FAULTS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/nemesis/cluster.h"

namespace linkgateway::tests::nemesis {

struct Fault {
  std::string name;
  // The dependency whose health must turn NOT_SERVING while it runs ("" for
  // none), and on which replicas (-1: every one).
  std::string dependency;
  int affected_replica = -1;
  // A replica the fault stops on purpose (its calls then fail to connect,
  // which is not a slow answer); -1 for none.
  int stopped_replica = -1;
  // Whether a failure here is the unlink engine's to fix (the coordinator's
  // part of issue 24; docs/development.md "The nemesis").
  bool engine = false;
  std::function<absl::Status(Cluster&, Fault&)> inject;
  std::function<absl::Status(Cluster&, Fault&)> heal;
  // Filled by inject/heal: what a fault itself found wrong (e.g. a damaged
  // store that was served), and notes for the report.
  std::vector<std::string> violations;
  std::vector<std::string> notes;
};

// Every fault, in the order they run; those this machine cannot play (no
// loop mount, no libfaketime) come back with `skipped` set in their notes
// and no inject.
std::vector<Fault> AllFaults(Cluster& cluster);

}  // namespace linkgateway::tests::nemesis

#endif  // LINKGATEWAY_TESTS_NEMESIS_FAULTS_H_
