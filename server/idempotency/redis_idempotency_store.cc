#include "server/idempotency/redis_idempotency_store.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "observability/log/log.h"

namespace linkgateway::server::idempotency {
namespace {

using linkgateway::state::v1::IdempotencyRecord;

// Claims KEYS[1] with ARGV[1] (a record not yet done) for ARGV[2] ms, unless
// it holds a record: then returns it. One round trip, atomic.
constexpr char kBeginScript[] = R"lua(
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
)lua";

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<std::int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

std::string RedisIdempotencyStore::RedisKey(IdempotencyKey const& key) const {
  return absl::StrCat(prefix_, "idempotency:", key.String());
}

void RedisIdempotencyStore::BeginLocally(IdempotencyKey const& key, std::string const& fingerprint,
                                         absl::Time running_until, BeginCallback done) {
  if (!degraded_.exchange(true)) {
    observability::log::Warning(
        "idempotency records are kept in this replica while Redis is unreachable: "
        "a retry that lands on another replica is not deduplicated");
  }
  if (on_fallback_) on_fallback_();
  {
    absl::MutexLock lock(&mu_);
    local_.insert(key.String());
  }
  fallback_.Begin(key, fingerprint, running_until, std::move(done));
}

bool RedisIdempotencyStore::TakeLocal(IdempotencyKey const& key) {
  absl::MutexLock lock(&mu_);
  return local_.erase(key.String()) > 0;
}

void RedisIdempotencyStore::Begin(IdempotencyKey const& key, std::string const& fingerprint,
                                  absl::Time running_until, BeginCallback done) {
  IdempotencyRecord claim;
  claim.set_fingerprint(fingerprint);
  auto shared_done = std::make_shared<BeginCallback>(std::move(done));
  redis_.Command(
      {"EVAL", kBeginScript, "1", RedisKey(key), claim.SerializeAsString(),
       Millis(running_until - absl::Now())},
      [this, key, fingerprint, running_until,
       shared_done](absl::StatusOr<adapters::shared_state::RedisReply> reply) mutable {
        if (!reply.ok() || reply->type == adapters::shared_state::RedisReply::Type::kError) {
          return BeginLocally(key, fingerprint, running_until, std::move(*shared_done));
        }
        if (degraded_.exchange(false))
          observability::log::Info("idempotency records are shared again");
        Begun begun;
        if (reply->type != adapters::shared_state::RedisReply::Type::kString) {
          begun.state = Begun::State::kStarted;
        } else if (!begun.record.ParseFromString(reply->text)) {
          // Not a record this gateway wrote: never replay it.
          return std::move(*shared_done)(
              absl::InternalError("shared state (Redis): an idempotency record cannot be read"));
        } else {
          begun.state = begun.record.fingerprint() != fingerprint ? Begun::State::kMismatch
                        : !begun.record.done()                    ? Begun::State::kInProgress
                                                                  : Begun::State::kReplay;
        }
        std::move (*shared_done)(std::move(begun));
      });
}

void RedisIdempotencyStore::Finish(IdempotencyKey const& key, IdempotencyRecord record,
                                   absl::Duration retention) {
  record.set_done(true);
  if (TakeLocal(key)) fallback_.Finish(key, record, retention);
  redis_.Command({"SET", RedisKey(key), record.SerializeAsString(), "PX", Millis(retention)},
                 [](absl::StatusOr<adapters::shared_state::RedisReply>) {});
}

void RedisIdempotencyStore::Abandon(IdempotencyKey const& key) {
  if (TakeLocal(key)) fallback_.Abandon(key);
  redis_.Command({"DEL", RedisKey(key)}, [](absl::StatusOr<adapters::shared_state::RedisReply>) {});
}

}  // namespace linkgateway::server::idempotency
