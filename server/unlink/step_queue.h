// The steps this replica's jobs wait to send, one queue per provider: a step
// is eligible from its not-before time (a throttled step's next attempt) and
// eligible steps leave by their job's priority, then in the order they were
// queued — so a batch of ten thousand jobs cannot starve an urgent one, and
// within a priority the first started is the first sent.
//
// Worker thread only.
#ifndef LINKGATEWAY_SERVER_UNLINK_STEP_QUEUE_H_
#define LINKGATEWAY_SERVER_UNLINK_STEP_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "server/unlink/job.h"

namespace linkgateway::server::unlink {

class StepQueue {
 public:
  struct Entry {
    JobPtr job;
    int index = 0;
    int priority = 0;
    std::uint64_t seq = 0;  // the order it was first queued in
    absl::Time queued_at;   // when it was first queued
  };

  // Queues step `index` of `job` for `provider`, eligible from `not_before`.
  void Add(std::string const& provider, JobPtr job, int index, int priority, absl::Time not_before,
           absl::Time now);
  // Puts back a step that could not be sent yet (its provider's rate limit
  // had no turn free), in the place it had.
  void Return(std::string const& provider, Entry entry, absl::Time not_before);

  // Makes every step of `provider` waiting for a later time eligible now
  // (in its place); how many.
  std::size_t Release(std::string const& provider);

  // The next eligible step of `provider` at `now`.
  std::optional<Entry> Take(std::string const& provider, absl::Time now);

  // Providers with steps waiting.
  std::vector<std::string> Providers() const;
  // When `provider`'s first step that is not eligible yet will be
  // (InfiniteFuture when none).
  absl::Time NextDue(std::string const& provider) const;
  std::size_t Waiting() const { return waiting_; }
  std::size_t Waiting(std::string const& provider) const;
  // How long `provider`'s longest-waiting step has waited.
  absl::Duration OldestWait(std::string const& provider, absl::Time now) const;
  // How many of `provider`'s eligible steps would leave before one queued
  // now with `priority` (an estimate: steps becoming eligible later are
  // counted too).
  std::size_t Ahead(std::string const& provider, int priority) const;

 private:
  // Higher priority first, then the order of queueing.
  using Key = std::tuple<int, std::uint64_t>;
  struct Lane {
    std::map<Key, Entry> eligible;
    std::multimap<absl::Time, Entry> later;
  };
  void Promote(Lane& lane, absl::Time now);

  std::map<std::string, Lane> lanes_;
  std::uint64_t next_seq_ = 0;
  std::size_t waiting_ = 0;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_STEP_QUEUE_H_
