#include "adapters/shared_state/shared_rate_limiter.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "observability/log/log.h"

namespace linkgateway::adapters::shared_state {
namespace {

// GCRA (the token bucket as one timestamp): KEYS[1] holds the theoretical
// arrival time (µs). A call may start at max(now, tat - (burst-1) interval);
// if that is within ARGV[3] µs it is reserved (tat advances one interval).
// Returns {reserved 1|0, wait µs until its start (or until the next free
// start when refused)}.
//
// A missing bucket is full only if Redis has kept its data for at least one
// period (burst intervals): KEYS[2] holds when this data set began (set by
// the first call after Redis started empty). A younger data set may have
// lost the bucket, so it fills from empty since then: a Redis restarted
// empty hands out no fresh burst. ARGV[4] = 1 (a replica that admitted calls
// on its own share while Redis was unreachable) restarts the bucket empty
// now, since the provider's own bucket was spent meanwhile.
constexpr char kGcraScript[] = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = 1000000 / rate
local period = burst * interval
local epoch = tonumber(redis.call('GET', KEYS[2]))
if not epoch then
  epoch = now
  redis.call('SET', KEYS[2], string.format('%.0f', now))
end
local tat = tonumber(redis.call('GET', KEYS[1]) or (epoch + period))
if ARGV[4] == '1' then tat = math.max(tat, now + period) end
if tat < now then tat = now end
local start = tat - (burst - 1) * interval
if start < now then start = now end
local wait = start - now
if wait > max_wait then
  if ARGV[4] == '1' then
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX',
               math.floor((tat - now) / 1000) + 1000)
  end
  return {0, math.floor(wait)}
end
local next_tat = math.max(tat, start) + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX',
           math.floor((next_tat - now) / 1000) + 1000)
return {1, math.floor(wait)}
)lua";

}  // namespace

SharedRateLimiter::SharedRateLimiter(RedisClient& redis, std::string key, double rate_per_second,
                                     int burst, int replicas, adapters::async::Scheduler& clock,
                                     std::function<void()> on_fallback, std::string epoch_key)
    : redis_(redis),
      key_(std::move(key)),
      epoch_key_(epoch_key.empty() ? key_ + ":epoch" : std::move(epoch_key)),
      rate_(rate_per_second),
      burst_(burst),
      clock_(clock),
      share_bucket_(std::make_shared<adapters::policies::TokenBucket>(
          rate_per_second / std::max(1, replicas), std::max(1, burst / std::max(1, replicas)),
          clock, /*start_full=*/false)),
      share_(share_bucket_),
      on_fallback_(std::move(on_fallback)) {}

void SharedRateLimiter::Locally(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done) {
  if (!degraded_.exchange(true)) {
    // From empty: the shared bucket may just have been spent.
    share_bucket_->Empty();
    observability::log::Warning("rate limit ", key_,
                                ": Redis is unreachable; this replica keeps to its share (",
                                share_.rate(), "/s, burst ", share_.burst(), ")");
  }
  if (on_fallback_) on_fallback_();
  share_.Reserve(latest, [this, done = std::move(done)](Decision decision) mutable {
    // What this replica admitted alone was taken from the provider's bucket:
    // the shared one is told when Redis is back.
    if (decision.start) owes_reconcile_.store(true);
    std::move(done)(decision);
  });
}

void SharedRateLimiter::Reserve(absl::Time latest, absl::AnyInvocable<void(Decision) &&> done) {
  absl::Time asked = clock_.Now();
  std::int64_t max_wait = std::max<std::int64_t>(0, absl::ToInt64Microseconds(latest - asked));
  auto pending = std::make_shared<absl::AnyInvocable<void(Decision) &&>>(std::move(done));
  bool reconcile = owes_reconcile_.load();
  redis_.Command(
      {"EVAL", kGcraScript, "2", key_, epoch_key_, absl::StrFormat("%.6f", rate_),
       absl::StrCat(burst_), absl::StrCat(max_wait), reconcile ? "1" : "0"},
      [this, latest, asked, pending, reconcile](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok() || reply->type != RedisReply::Type::kArray ||
            reply->elements.size() != 2) {
          return Locally(latest, std::move(*pending));
        }
        if (reconcile) owes_reconcile_.store(false);
        if (degraded_.exchange(false)) {
          observability::log::Info("rate limit ", key_, ": shared again",
                                   reconcile ? " (restarted empty after this replica's own calls)"
                                             : "");
        }
        absl::Duration wait = absl::Microseconds(reply->elements[1].integer);
        if (reply->elements[0].integer == 1) {
          // The wait counts from when this replica asked.
          return std::move(*pending)(Decision{asked + wait, absl::ZeroDuration()});
        }
        std::move(*pending)(Decision{std::nullopt, wait});
      });
}

}  // namespace linkgateway::adapters::shared_state
