#include "server/unlink/step_queue.h"

#include <algorithm>
#include <utility>

namespace linkgateway::server::unlink {

void StepQueue::Add(std::string const& provider, JobPtr job, int index, int priority,
                    absl::Time not_before, absl::Time now) {
  Return(provider, Entry{std::move(job), index, priority, next_seq_++, now}, not_before);
}

void StepQueue::Return(std::string const& provider, Entry entry, absl::Time not_before) {
  Lane& lane = lanes_[provider];
  ++waiting_;
  if (not_before > absl::InfinitePast() && not_before > entry.queued_at) {
    lane.later.emplace(not_before, std::move(entry));
    return;
  }
  Key key{-entry.priority, entry.seq};
  lane.eligible.emplace(key, std::move(entry));
}

void StepQueue::Promote(Lane& lane, absl::Time now) {
  while (!lane.later.empty() && lane.later.begin()->first <= now) {
    Entry entry = std::move(lane.later.begin()->second);
    lane.later.erase(lane.later.begin());
    Key key{-entry.priority, entry.seq};
    lane.eligible.emplace(key, std::move(entry));
  }
}

std::size_t StepQueue::Release(std::string const& provider) {
  auto it = lanes_.find(provider);
  if (it == lanes_.end()) return 0;
  std::size_t released = it->second.later.size();
  Promote(it->second, absl::InfiniteFuture());
  return released;
}

std::optional<StepQueue::Entry> StepQueue::Take(std::string const& provider, absl::Time now) {
  auto it = lanes_.find(provider);
  if (it == lanes_.end()) return std::nullopt;
  Lane& lane = it->second;
  Promote(lane, now);
  if (lane.eligible.empty()) return std::nullopt;
  Entry entry = std::move(lane.eligible.begin()->second);
  lane.eligible.erase(lane.eligible.begin());
  --waiting_;
  if (lane.eligible.empty() && lane.later.empty()) lanes_.erase(it);
  return entry;
}

std::vector<std::string> StepQueue::Providers() const {
  std::vector<std::string> providers;
  for (auto const& [provider, lane] : lanes_) providers.push_back(provider);
  return providers;
}

absl::Time StepQueue::NextDue(std::string const& provider) const {
  auto it = lanes_.find(provider);
  if (it == lanes_.end() || it->second.later.empty()) return absl::InfiniteFuture();
  return it->second.later.begin()->first;
}

std::size_t StepQueue::Waiting(std::string const& provider) const {
  auto it = lanes_.find(provider);
  return it == lanes_.end() ? 0 : it->second.eligible.size() + it->second.later.size();
}

absl::Duration StepQueue::OldestWait(std::string const& provider, absl::Time now) const {
  auto it = lanes_.find(provider);
  if (it == lanes_.end()) return absl::ZeroDuration();
  absl::Time oldest = now;
  // Eligible steps leave roughly in queueing order; a delayed one may be
  // older than all of them.
  if (!it->second.eligible.empty()) {
    oldest = std::min(oldest, it->second.eligible.begin()->second.queued_at);
  }
  for (auto const& [due, entry] : it->second.later) oldest = std::min(oldest, entry.queued_at);
  return now - oldest;
}

std::size_t StepQueue::Ahead(std::string const& provider, int priority) const {
  auto it = lanes_.find(provider);
  if (it == lanes_.end()) return 0;
  // Eligible steps of this priority or higher leave first.
  auto end = it->second.eligible.lower_bound(Key{-priority, next_seq_});
  return static_cast<std::size_t>(std::distance(it->second.eligible.begin(), end)) +
         it->second.later.size();
}

}  // namespace linkgateway::server::unlink
