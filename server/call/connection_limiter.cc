#include "server/call/connection_limiter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"

namespace linkgateway::server::call {

bool ConnectionLimiter::TryAcquire(std::string const& connection) {
  bool close = false;
  {
    absl::MutexLock lock(&mu_);
    Counts& counts = connections_[connection];
    if (counts.open < max_) {
      ++counts.open;
      return true;
    }
    ++counts.refused;
    if (counts.refused >= max_ && !counts.closing) close = counts.closing = true;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  if (close) {
    closed_.fetch_add(1, std::memory_order_relaxed);
    close_(connection);
  }
  return false;
}

void ConnectionLimiter::Release(std::string const& connection) {
  absl::MutexLock lock(&mu_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  --it->second.open;
  EraseIfIdle(connection);
}

void ConnectionLimiter::RefusalDone(std::string const& connection) {
  absl::MutexLock lock(&mu_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  --it->second.refused;
  EraseIfIdle(connection);
}

void ConnectionLimiter::EraseIfIdle(std::string const& connection) {
  auto it = connections_.find(connection);
  if (it != connections_.end() && it->second.open <= 0 && it->second.refused <= 0) {
    connections_.erase(it);
  }
}

absl::Status ConnectionLimiter::TooManyStreams() const {
  // No RetryInfo: the caller's own connection is full, so waiting for its
  // calls to finish (or using another connection) is the fix, not a timer.
  return adapters::errors::WithErrorInfo(
      absl::ResourceExhaustedError(
          absl::StrCat("this connection already has ", max_, " calls in progress")),
      adapters::errors::reason::kTooManyStreams, adapters::errors::kGatewayDomain,
      {{"maxCallsPerConnection", absl::StrCat(max_)}});
}

}  // namespace linkgateway::server::call
