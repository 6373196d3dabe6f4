// What the retry and rate-limit decorators report, to whoever counts them
// (the composition root connects it to the gateway's metrics).
#ifndef LINKGATEWAY_ADAPTERS_POLICIES_POLICY_OBSERVER_H_
#define LINKGATEWAY_ADAPTERS_POLICIES_POLICY_OBSERVER_H_

#include "absl/time/time.h"

namespace linkgateway::adapters::policies {

class PolicyObserver {
 public:
  virtual ~PolicyObserver() = default;
  // An attempt repeated by the retry policy.
  virtual void Retried() = 0;
  // A call that waited for its turn in the rate limit.
  virtual void RateLimitWaited(absl::Duration wait) = 0;
  // A call refused because its turn would come after its deadline.
  virtual void RateLimitRejected() = 0;
};

}  // namespace linkgateway::adapters::policies

#endif  // LINKGATEWAY_ADAPTERS_POLICIES_POLICY_OBSERVER_H_
