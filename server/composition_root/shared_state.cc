#include "server/composition_root/shared_state.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/policies/token_bucket.h"
#include "adapters/shared_state/redis_token_cache.h"
#include "adapters/shared_state/shared_rate_limiter.h"
#include "config/rotating_secret.h"
#include "observability/log/log.h"

namespace linkgateway::server::composition_root {

namespace {

// Marks when Redis's data set began (KEYS[1] = Redis TIME in µs), unless it
// is marked: the rate limits' buckets fill from empty for one period after
// (adapters/shared_state/shared_rate_limiter.cc).
constexpr char kMarkEpochScript[] = R"lua(
if redis.call('GET', KEYS[1]) then return 0 end
local t = redis.call('TIME')
redis.call('SET', KEYS[1], string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])))
return 1
)lua";

}  // namespace

absl::StatusOr<std::unique_ptr<SharedState>> SharedState::Create(
    config::GatewayConfig const& config, observability::metrics::GatewayMetrics& metrics) {
  std::unique_ptr<SharedState> state(new SharedState(metrics));
  state->local_ =
      std::make_unique<idempotency::MemoryIdempotencyStore>(config.idempotency().max_records());
  auto const& shared = config.shared_state();
  if (shared.address().empty()) return state;
  adapters::shared_state::RedisOptions options;
  auto colon = shared.address().rfind(':');
  options.host = shared.address().substr(0, colon);
  (void)absl::SimpleAtoi(shared.address().substr(colon + 1), &options.port);  // checked by config
  if (shared.has_password()) {
    auto password = config::RotatingSecret::Load(shared.password(), "shared_state.password");
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  options.connect_timeout = config::ToDuration(shared.connect_timeout());
  options.command_timeout = config::ToDuration(shared.command_timeout());
  if (shared.has_max_reconnect_backoff()) {
    options.max_reconnect_backoff = config::ToDuration(shared.max_reconnect_backoff());
  }
  absl::Duration first_wait = options.connect_timeout + absl::Seconds(1);
  state->redis_ = std::make_unique<adapters::shared_state::RedisClient>(std::move(options));
  adapters::shared_state::RedisClient* redis = state->redis_.get();
  state->key_prefix_ = shared.key_prefix();
  state->replicas_ = shared.replicas();
  std::string epoch_key = absl::StrCat(shared.key_prefix(), "ratelimit:epoch");
  redis->AddSessionListener([redis, epoch_key](adapters::shared_state::RedisSession const&) {
    redis->Command({"EVAL", kMarkEpochScript, "1", epoch_key},
                   [](absl::StatusOr<adapters::shared_state::RedisReply>) {});
  });
  idempotency::RedisIdempotencyOptions records;
  records.key_prefix = shared.key_prefix();
  records.retention = config::ToDuration(config.idempotency().retention());
  records.allow_local_claims = shared.replicas() <= 1;
  records.on_fallback = [&metrics] { metrics.SharedStateFallback("idempotency"); };
  records.on_refusal = [&metrics](absl::string_view reason) {
    metrics.IdempotencyRefused(reason);
  };
  state->shared_ =
      std::make_unique<idempotency::RedisIdempotencyStore>(*redis, *state->local_, records);
  // A wrong or missing password is a configuration error: say so now rather
  // than serve with every call on this replica's own state.
  absl::Status first = redis->WaitForFirstAttempt(first_wait);
  if (first.code() == absl::StatusCode::kUnauthenticated) {
    return absl::FailedPreconditionError(
        absl::StrCat(first.message(), "; fix shared_state.password (or Redis's requirepass)"));
  }
  if (!first.ok()) {
    observability::log::Warning("starting without Redis (", first.message(),
                                "): deletes with a request_id are refused until it is back",
                                shared.replicas() <= 1 ? " (kept in this replica meanwhile)" : "");
  }
  metrics.SetSharedStateReader([redis] { return redis->connected(); });
  return state;
}

SharedState::~SharedState() {
  // Outcomes Redis has not acknowledged yet get a moment to land.
  absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (shared_ != nullptr && redis_->connected() && shared_->unacknowledged() > 0 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (shared_ != nullptr && shared_->unacknowledged() > 0) {
    observability::log::Warning(shared_->unacknowledged(),
                                " request_id outcomes never reached Redis before the stop");
  }
  // The client answers what is still pending while the records and limits
  // it answers to still exist.
  redis_.reset();
}

absl::Status SharedState::health() const {
  if (redis_ == nullptr) return absl::OkStatus();
  if (absl::Status redis = redis_->health(); !redis.ok()) return redis;
  return shared_->health();
}

std::shared_ptr<adapters::policies::RateLimiter> SharedState::RateLimiterFor(
    adapters::operation::OperationId operation, std::string const& scope, double rate_per_second,
    int burst) {
  if (redis_ == nullptr) {
    return std::make_shared<adapters::policies::LocalRateLimiter>(
        std::make_shared<adapters::policies::TokenBucket>(rate_per_second, burst, *scheduler_));
  }
  return std::make_shared<adapters::shared_state::SharedRateLimiter>(
      *redis_, absl::StrCat(key_prefix_, "ratelimit:", operation.key(), ":", scope),
      rate_per_second, burst, replicas_, *scheduler_,
      [m = &metrics_] { m->SharedStateFallback("rate_limit"); },
      absl::StrCat(key_prefix_, "ratelimit:epoch"));
}

adapters::auth::TokenCache* SharedState::TokenCacheFor(std::string const& name) {
  if (redis_ == nullptr) return nullptr;
  auto cache = std::make_shared<adapters::shared_state::RedisTokenCache>(
      *redis_, absl::StrCat(key_prefix_, "token:", name));
  token_caches_.push_back(cache);
  return cache.get();
}

}  // namespace linkgateway::server::composition_root
