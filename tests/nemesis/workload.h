// The nemesis's mixed workload, and the ledger of everything it asked and
// was answered (Jepsen's history): single deletes with request_ids, retried
// by the caller on another replica as a client would; unlink jobs; and calls
// that no fault should slow (health checks, a delete without request_id).
#ifndef LINKGATEWAY_TESTS_NEMESIS_WORKLOAD_H_
#define LINKGATEWAY_TESTS_NEMESIS_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "tests/nemesis/cluster.h"

namespace linkgateway::tests::nemesis {

enum class Provider { kImiconnect, kSmsVoice, kSellingPartner };
char const* ProviderName(Provider provider);
// Whether a second DELETE of a target may happen by the recovery rules
// (docs/unlink-jobs.md: SMS and Voice and SP-API are re-sent, at most 3
// attempts; IMIconnect never).
int MaxDeletes(Provider provider);

struct CallRecord {
  std::string window;
  std::string kind;  // "delete", "unrelated_delete", "health", "dependency:<name>", "job_start"
  Provider provider = Provider::kSmsVoice;
  std::string target;
  std::string request_id;
  int replica = 0;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string reason;  // ErrorInfo.reason, or the health status for probes
  std::string message;
  int attempts = 1;
  absl::Time start;
  absl::Duration latency;
  absl::Duration deadline;
  bool replayed = false;
};

struct JobRecord {
  std::string window;
  std::string name;
  std::string request_id;
  bool sqlite = false;  // replica 2's own store, else the shared PostgreSQL
  std::vector<std::pair<Provider, std::string>> targets;
};

// Everything the workload did, by window (the fault running, or its
// recovery).
class Ledger {
 public:
  void SetWindow(std::string window) ABSL_LOCKS_EXCLUDED(mu_);
  std::string window() const ABSL_LOCKS_EXCLUDED(mu_);
  // The window that ran at `t`.
  std::string WindowAt(absl::Time t) const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::string> windows() const ABSL_LOCKS_EXCLUDED(mu_);

  void Add(CallRecord record) ABSL_LOCKS_EXCLUDED(mu_);
  void AddJob(JobRecord job) ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<CallRecord> calls() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<JobRecord> jobs() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<absl::Time, std::string>> windows_ ABSL_GUARDED_BY(mu_);
  std::vector<CallRecord> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<JobRecord> jobs_ ABSL_GUARDED_BY(mu_);
};

class Workload {
 public:
  Workload(Cluster& cluster, Ledger& ledger) : cluster_(cluster), ledger_(ledger) {}
  ~Workload() { Stop(); }

  void Start();
  void Stop();  // waits for every worker's call in flight

 private:
  void DeleteWorker(int worker);
  void JobWorker();
  void ProbeWorker();

  // A new target at its provider's emulator.
  bool Seed(Provider provider, std::string const& target);
  // One attempt of a single delete; `replayed` from the answer.
  grpc::Status Delete(Provider provider, int replica, std::string const& target,
                      std::string const& request_id, absl::Duration deadline, bool* replayed);

  Cluster& cluster_;
  Ledger& ledger_;
  absl::Notification stop_;
  std::vector<std::thread> threads_;
  std::atomic<int> sequence_{0};
};

// A fresh version-4 UUID.
std::string NewRequestId();

}  // namespace linkgateway::tests::nemesis

#endif  // LINKGATEWAY_TESTS_NEMESIS_WORKLOAD_H_
