#include "server/call/refusal_budget.h"

#include <algorithm>
#include <vector>

namespace linkgateway::server::call {

std::string RefusalBudget::AddressOf(absl::string_view peer) {
  // "ipv4:10.0.0.7:51234", "ipv6:[::1]:51234", "unix:/path".
  if (auto bracket = peer.rfind(']'); bracket != absl::string_view::npos) {
    return std::string(peer.substr(0, bracket + 1));
  }
  auto first = peer.find(':');
  auto last = peer.rfind(':');
  if (first != absl::string_view::npos && last != first) return std::string(peer.substr(0, last));
  return std::string(peer);
}

double RefusalBudget::Refill(Bucket& bucket, absl::Time now) const {
  if (bucket.updated == absl::InfinitePast()) {
    bucket.tokens = options_.burst;
  } else if (now > bucket.updated) {
    bucket.tokens =
        std::min(options_.burst,
                 bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) * options_.rate);
  }
  bucket.updated = std::max(bucket.updated, now);
  return bucket.tokens;
}

bool RefusalBudget::Take(absl::string_view peer, absl::Time now) {
  std::string address = AddressOf(peer);
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(address);
  if (it == peers_.end() && peers_.size() >= options_.max_peers) {
    // Forget the peers whose budget is full again: they cost nothing.
    std::vector<std::string> idle;
    for (auto& [name, bucket] : peers_) {
      if (Refill(bucket, now) >= options_.burst) idle.push_back(name);
    }
    for (auto const& name : idle) peers_.erase(name);
  }
  Bucket* bucket;
  if (it != peers_.end()) {
    bucket = &it->second;
  } else if (peers_.size() < options_.max_peers) {
    bucket = &peers_.emplace(address, Bucket{0, absl::InfinitePast()}).first->second;
  } else {
    bucket = &overflow_;  // too many peers at once: they share one budget
  }
  if (Refill(*bucket, now) < 1) return false;
  bucket->tokens -= 1;
  return true;
}

}  // namespace linkgateway::server::call
