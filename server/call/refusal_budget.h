// How many records of refused calls the audit trail takes from one peer.
//
// A call refused before any work (its caller unproven or not allowed, its
// request invalid) is audited too, but compactly, and at most `rate` a
// second (with a burst) per peer address: a caller that cannot even
// authenticate must not be able to push the records of real deletes out of
// the trail by its rotation. Refusals beyond the budget are answered as
// usual, counted (linkgateway_audit_refusals_dropped_total) and not written.
#ifndef LINKGATEWAY_SERVER_CALL_REFUSAL_BUDGET_H_
#define LINKGATEWAY_SERVER_CALL_REFUSAL_BUDGET_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::server::call {

class RefusalBudget {
 public:
  struct Options {
    double rate = 20;  // records a second per peer
    double burst = 100;
    // Peers remembered at once; beyond, the ones whose budget is full again
    // are forgotten, and while none is, new peers share one budget.
    std::size_t max_peers = 10000;
  };

  RefusalBudget() : RefusalBudget(Options{}) {}
  explicit RefusalBudget(Options options) : options_(options) {}

  // Whether a refusal of `peer`'s (gRPC's peer text, e.g.
  // "ipv4:10.0.0.7:51234": its port is not part of it) may be recorded now.
  bool Take(absl::string_view peer, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // The address of a peer text, without its port.
  static std::string AddressOf(absl::string_view peer);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refill(Bucket& bucket, absl::Time now) const;

  Options const options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> peers_ ABSL_GUARDED_BY(mu_);
  Bucket overflow_ ABSL_GUARDED_BY(mu_){0, absl::InfinitePast()};
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_REFUSAL_BUDGET_H_
