// The nemesis: three replicas of the real gateway under a mixed workload
// (single deletes with request_ids retried across replicas, unlink jobs,
// calls no fault should slow) while each fault runs in turn — Redis killed,
// restarted empty, stalled, its password changed; PostgreSQL killed,
// stalled, restarted; the SQLite store emptied and damaged; the audit disk
// full and read-only; a replica's wall clock jumping — then a checker over
// what the emulators, the audit trails and the job stores say (checker.h).
// After Jepsen (nemeses, a history, checkers) and FoundationDB's simulation
// (every fault, one at a time, against the real thing).
//
//   bazel run //tests/nemesis -- --profile=long     # >= 10 minutes, by hand
//   bazel test //tests/nemesis:nemesis_test         # the short profile (CI)
//
// Prints one row per fault (calls, DELETEs per target, violations) and the
// violations; exits 1 ("NEMESIS FAIL") when a rule was broken. Violations
// in the coordinator's part of issue 24 (the unlink engine's store calls and
// outcomes, the call path's audit before a send) are marked so and, with
// --engine_checks=report, reported without failing.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "tests/nemesis/checker.h"
#include "tests/nemesis/cluster.h"
#include "tests/nemesis/faults.h"
#include "tests/nemesis/workload.h"
#include "tests/testing/child_process.h"

ABSL_FLAG(std::string, profile, "short",
          "short (each fault 5 s, recovery 3 s: the CI run) or long (60 s and 20 s: >= 10 "
          "minutes)");
ABSL_FLAG(std::string, faults, "", "Only these faults (comma-separated names); empty: all.");
ABSL_FLAG(std::string, engine_checks, "enforce",
          "enforce: an (engine) violation fails the run; report: printed only.");

namespace linkgateway::tests::nemesis {
namespace {

// Waits (bounded) until every replica answers its health check SERVING.
bool Healthy(Cluster& cluster, absl::Duration within) {
  absl::Time give_up = absl::Now() + within;
  for (;;) {
    bool all = true;
    for (int i = 0; i < kReplicas && all; ++i) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      all = grpc::health::v1::Health::NewStub(cluster.Channel(i))
                ->Check(&context, request, &response)
                .ok() &&
            response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    }
    if (all) return true;
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

int Main() {
  bool long_profile = absl::GetFlag(FLAGS_profile) == "long";
  absl::Duration fault_time = long_profile ? absl::Seconds(60) : absl::Seconds(5);
  absl::Duration recovery_time = long_profile ? absl::Seconds(20) : absl::Seconds(3);
  ClusterOptions options;
  options.idempotency_retention = long_profile ? absl::Seconds(60) : absl::Seconds(15);
  absl::Time began = absl::Now();
  std::printf("nemesis: %s profile; starting Redis, PostgreSQL, the emulators and 3 gateways\n",
              long_profile ? "long" : "short");
  auto cluster = Cluster::Start(options);
  if (!cluster.ok()) {
    std::printf("NEMESIS FAIL: the cluster did not start: %s\n",
                std::string(cluster.status().message()).c_str());
    return 1;
  }
  if (!(*cluster)->audit_mount().empty()) {
    std::printf("nemesis: replica 0's audit trail is on a loop-mounted ext4 disk\n");
  } else {
    std::printf("nemesis: WARNING: AUDIT DISK FAULTS SKIPPED: %s\n",
                (*cluster)->audit_disk_problem().c_str());
  }
  if (!(*cluster)->fake_clock_problem().empty()) {
    std::printf("nemesis: WARNING: CLOCK JUMP SKIPPED: %s\n",
                (*cluster)->fake_clock_problem().c_str());
  }
  std::vector<Fault> faults = AllFaults(**cluster);
  std::string only = absl::GetFlag(FLAGS_faults);
  if (!only.empty()) {
    std::vector<std::string> names = absl::StrSplit(only, ',');
    std::vector<Fault> chosen;
    for (auto& fault : faults) {
      if (std::find(names.begin(), names.end(), fault.name) != names.end()) {
        chosen.push_back(std::move(fault));
      }
    }
    faults = std::move(chosen);
  }

  Ledger ledger;
  ledger.SetWindow("baseline");
  Workload workload(**cluster, ledger);
  workload.Start();
  absl::SleepFor(recovery_time);  // the baseline: the workload without a fault
  for (auto& fault : faults) {
    if (!fault.inject) continue;
    std::printf("nemesis: %s\n", fault.name.c_str());
    std::fflush(stdout);
    ledger.SetWindow(fault.name);
    if (absl::Status s = fault.inject(**cluster, fault); !s.ok()) {
      fault.violations.push_back(absl::StrCat("the fault could not be injected: ", s.message()));
    }
    absl::SleepFor(fault_time);  // the fault itself: how long it lasts is the experiment
    ledger.SetWindow(fault.name + "/recovery");
    if (absl::Status s = fault.heal(**cluster, fault); !s.ok()) {
      fault.violations.push_back(absl::StrCat("could not heal: ", s.message()));
    }
    if (!Healthy(**cluster, absl::Seconds(30))) {
      fault.violations.push_back("a replica was not SERVING 30 s after the fault healed");
    }
    absl::SleepFor(recovery_time);
  }
  // Long enough for the refusals after a lost Redis to end, leases to lapse
  // and jobs to finish.
  ledger.SetWindow("final");
  absl::SleepFor(std::max(recovery_time, options.idempotency_retention));
  workload.Stop();
  auto evidence = Gather(**cluster, ledger, long_profile ? absl::Seconds(120) : absl::Seconds(30));
  if (!evidence.ok()) {
    std::printf("NEMESIS FAIL: %s\n", std::string(evidence.status().message()).c_str());
    return 1;
  }
  auto violations = Check(*evidence, ledger, faults);
  Report(*evidence, ledger, faults, violations);
  bool enforce = absl::GetFlag(FLAGS_engine_checks) != "report";
  int counted = 0, engine = 0;
  for (auto const& v : violations) (v.engine ? engine : counted)++;
  std::printf("\nnemesis: %s in %s; %d violations of the rules, %d more in the coordinator's "
              "part%s\n",
              long_profile ? "long profile" : "short profile",
              absl::FormatDuration(absl::Trunc(absl::Now() - began, absl::Seconds(1))).c_str(),
              counted, engine, enforce ? "" : " (reported, not counted: --engine_checks=report)");
  bool failed = counted > 0 || (enforce && engine > 0);
  std::printf("%s\n", failed ? "NEMESIS FAIL" : "NEMESIS PASS");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace linkgateway::tests::nemesis

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  linkgateway::tests::testing::UseRunfilesOf(argv[0], "nemesis");
  return linkgateway::tests::nemesis::Main();
}
