#include "server/idempotency/redis_idempotency_store.h"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "observability/log/log.h"
#include "server/idempotency/refusals.h"

namespace linkgateway::server::idempotency {
namespace {

using adapters::shared_state::RedisReply;
using linkgateway::state::v1::IdempotencyRecord;

// Lua shared by the scripts below: the epoch marker `key` as this replica
// expects it (`known`, "" when it knows none), or nil when it is gone or
// another one (records were lost). A Redis without one gets `fresh` when
// this replica expects none (a first start).
#define LINKGATEWAY_EPOCH_OF_LUA                                    \
  "local function epoch_of(key, known, fresh)\n"                    \
  "  local epoch = redis.call('GET', key)\n"                        \
  "  if not epoch then\n"                                          \
  "    if known ~= '' then return nil end\n"                       \
  "    redis.call('SET', key, fresh)\n"                            \
  "    return fresh\n"                                             \
  "  end\n"                                                        \
  "  if known ~= '' and epoch ~= known then return nil end\n"      \
  "  return epoch\n"                                               \
  "end\n"

// KEYS: the record, the epoch marker, the doubt marker. ARGV: the claim (a
// record not yet done), its lifetime (ms), the epoch this replica knows,
// a fresh epoch, '1' to claim even after a loss (a harmless repeat). One
// round trip, atomic:
//   {'lost'}                   the marker is gone or another: records were lost
//   {'held', epoch, record}    the id has a record (done or a running claim)
//   {'absent', epoch, doubt}   no record, and records were lost lately
//   {'claimed', epoch}         no record: claimed for this call
constexpr char kBeginScript[] = LINKGATEWAY_EPOCH_OF_LUA R"lua(
local epoch = epoch_of(KEYS[2], ARGV[3], ARGV[4])
if not epoch then return {'lost'} end
local held = redis.call('GET', KEYS[1])
if held then return {'held', epoch, held} end
local doubt = redis.call('GET', KEYS[3])
if doubt and ARGV[5] ~= '1' then return {'absent', epoch, doubt} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'claimed', epoch}
)lua";

// KEYS: the epoch marker, the doubt marker. ARGV: the epoch this replica
// knows, a fresh one. {'lost'} or {'ok', epoch, doubt or ''}.
constexpr char kEpochScript[] = LINKGATEWAY_EPOCH_OF_LUA R"lua(
local epoch = epoch_of(KEYS[1], ARGV[1], ARGV[2])
if not epoch then return {'lost'} end
return {'ok', epoch, redis.call('GET', KEYS[2]) or ''}
)lua";

#undef LINKGATEWAY_EPOCH_OF_LUA

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<std::int64_t>(1, absl::ToInt64Milliseconds(d)));
}

std::string NewEpoch() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x%016x", random(), random());
}

Begun BegunFrom(IdempotencyRecord record, std::string const& fingerprint) {
  Begun begun;
  begun.state = record.fingerprint() != fingerprint ? Begun::State::kMismatch
                : !record.done()                    ? Begun::State::kInProgress
                                                    : Begun::State::kReplay;
  begun.record = std::move(record);
  return begun;
}

// The doubt marker's value: "<lost at, unix µs> <why>".
std::string DoubtValue(absl::Time lost_at, std::string const& why) {
  return absl::StrCat(absl::ToUnixMicros(lost_at), " ", why);
}

bool ParseDoubt(std::string const& value, absl::Time& lost_at, std::string& why) {
  auto space = value.find(' ');
  std::int64_t micros = 0;
  if (!absl::SimpleAtoi(value.substr(0, space), &micros)) return false;
  lost_at = absl::FromUnixMicros(micros);
  why = space == std::string::npos ? "" : value.substr(space + 1);
  return true;
}

std::string Text(RedisReply const& reply, std::size_t i) {
  return i < reply.elements.size() ? reply.elements[i].text : "";
}

}  // namespace

RedisIdempotencyStore::RedisIdempotencyStore(adapters::shared_state::RedisClient& redis,
                                             MemoryIdempotencyStore& own,
                                             RedisIdempotencyOptions options)
    : redis_(redis), own_(own), options_(std::move(options)) {
  redis_.AddSessionListener(
      [this](adapters::shared_state::RedisSession const& session) { OnSession(session); });
}

std::string RedisIdempotencyStore::RedisKey(std::string const& key_string) const {
  return absl::StrCat(options_.key_prefix, "idempotency:", key_string);
}

std::string RedisIdempotencyStore::EpochKey() const {
  return absl::StrCat(options_.key_prefix, "idempotency:epoch");
}

absl::Status RedisIdempotencyStore::health() const {
  absl::MutexLock lock(&mu_);
  if (absl::Now() >= doubt_until_) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "request_id records were lost at ", absl::FormatTime(lost_at_), " (", loss_,
      "): deletes whose request_id has no record are refused until ",
      absl::FormatTime(doubt_until_)));
}

std::size_t RedisIdempotencyStore::unacknowledged() const {
  absl::MutexLock lock(&mu_);
  return unacknowledged_.size();
}

void RedisIdempotencyStore::OnSession(adapters::shared_state::RedisSession const& session) {
  std::string previous;
  {
    absl::MutexLock lock(&mu_);
    previous = std::exchange(run_id_, session.run_id);
  }
  if (!session.persistence.durable()) {
    observability::log::Warning(
        "shared state (Redis): ", session.persistence.Describe(),
        ": a restart of Redis may lose request_id records; the gateway then refuses, for "
        "idempotency.retention, every request_id it has no record of (run Redis with "
        "appendonly yes, appendfsync always and maxmemory-policy noeviction)");
  }
  if (!previous.empty() && previous != session.run_id && !session.persistence.durable()) {
    OnLoss(absl::StrCat("Redis restarted (run_id ", previous, " -> ", session.run_id,
                        ") without the persistence that keeps what it acknowledged: ",
                        session.persistence.Describe()));
  } else {
    CheckEpoch();
  }
  std::vector<std::string> keys;
  {
    absl::MutexLock lock(&mu_);
    for (auto const& [key, value] : unacknowledged_) keys.push_back(key);
  }
  for (auto const& key : keys) WriteOutcome(key);
}

void RedisIdempotencyStore::CheckEpoch() {
  std::string known;
  {
    absl::MutexLock lock(&mu_);
    known = epoch_;
  }
  redis_.Command(
      {"EVAL", kEpochScript, "2", EpochKey(), EpochKey() + ":doubt", known, NewEpoch()},
      [this, known](absl::StatusOr<RedisReply> reply) {
        if (!reply.ok() || reply->type != RedisReply::Type::kArray || reply->elements.empty()) {
          return;  // the next session or claim asks again
        }
        if (Text(*reply, 0) == "lost") {
          {
            absl::MutexLock lock(&mu_);
            if (epoch_ != known) return;  // already handled
          }
          return OnLoss(
              "the epoch marker in Redis is gone or another: Redis restarted empty, was "
              "flushed or was replaced");
        }
        AdoptEpoch(Text(*reply, 1));
        absl::Time lost_at;
        std::string why;
        if (ParseDoubt(Text(*reply, 2), lost_at, why)) {
          absl::MutexLock lock(&mu_);
          if (lost_at + options_.retention > doubt_until_) {
            lost_at_ = lost_at;
            doubt_until_ = lost_at + options_.retention;
            loss_ = why;
          }
        }
      });
}

void RedisIdempotencyStore::AdoptEpoch(std::string const& epoch) {
  if (epoch.empty()) return;
  absl::MutexLock lock(&mu_);
  if (epoch_.empty()) epoch_ = epoch;
}

void RedisIdempotencyStore::OnLoss(std::string const& why) {
  absl::Time now = absl::Now();
  absl::Time until = now + options_.retention;
  {
    absl::MutexLock lock(&mu_);
    lost_at_ = now;
    doubt_until_ = until;
    loss_ = why;
    epoch_.clear();
  }
  // Every replica learns of the loss from Redis itself, even one started
  // after it: the doubt marker lasts as long as the refusals.
  redis_.Command({"SET", EpochKey() + ":doubt", DoubtValue(now, why), "NX", "PX",
                  Millis(options_.retention)},
                 [](absl::StatusOr<RedisReply>) {});
  // What this replica recorded itself goes back (never over a newer record).
  auto kept = own_.Finished();
  for (auto const& record : kept) {
    redis_.Command({"SET", RedisKey(record.key), record.record.SerializeAsString(), "NX", "PX",
                    Millis(record.expires - now)},
                   [](absl::StatusOr<RedisReply>) {});
  }
  observability::log::Error(
      "request_id records in Redis were lost (", why, "); this replica gave back the ",
      kept.size(), " it made itself; until ", absl::FormatTime(until),
      " a delete whose request_id has no record is refused (REQUEST_ID_UNVERIFIABLE): the "
      "gateway cannot tell whether it was sent already");
  CheckEpoch();
}

void RedisIdempotencyStore::Refuse(absl::Status status, absl::string_view reason,
                                   BeginCallback done) {
  if (options_.on_refusal) options_.on_refusal(reason);
  std::move(done)(std::move(status));
}

void RedisIdempotencyStore::Unreachable(IdempotencyKey const& key, std::string const& fingerprint,
                                        absl::Time running_until, absl::string_view why,
                                        BeginCallback done) {
  if (!options_.allow_local_claims && !key.repeat_is_harmless) {
    return Refuse(RecordsUnreachable(key.request_id,
                                     absl::StrCat("shared state (Redis): ", why,
                                                  "; another replica's record of it cannot be "
                                                  "seen")),
                  adapters::errors::reason::kIdempotencyUnavailable, std::move(done));
  }
  // The only replica (its own memory is every record there is), or a repeat
  // that would change nothing: claimed here, the outcome goes to Redis once
  // it is back.
  {
    absl::MutexLock lock(&mu_);
    local_claims_.insert(key.String());
  }
  if (options_.on_fallback) options_.on_fallback();
  own_.Begin(key, fingerprint, running_until, std::move(done));
}

void RedisIdempotencyStore::Begin(IdempotencyKey const& key, std::string const& fingerprint,
                                  absl::Time running_until, BeginCallback done) {
  // This replica's own records (and claims made while Redis was away) first.
  if (auto own = own_.Find(key)) return std::move(done)(BegunFrom(*std::move(own), fingerprint));
  std::string known;
  {
    absl::MutexLock lock(&mu_);
    known = epoch_;
  }
  IdempotencyRecord claim;
  claim.set_fingerprint(fingerprint);
  auto shared_done = std::make_shared<BeginCallback>(std::move(done));
  redis_.Command(
      {"EVAL", kBeginScript, "3", RedisKey(key.String()), EpochKey(), EpochKey() + ":doubt",
       claim.SerializeAsString(), Millis(running_until - absl::Now()), known, NewEpoch(),
       key.repeat_is_harmless ? "1" : "0"},
      [this, key, fingerprint, running_until, known,
       shared_done](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) {
          return Unreachable(key, fingerprint, running_until, reply.status().message(),
                             std::move(*shared_done));
        }
        if (reply->type == RedisReply::Type::kError) {
          return Unreachable(key, fingerprint, running_until, reply->text,
                             std::move(*shared_done));
        }
        std::string tag = reply->type == RedisReply::Type::kArray ? Text(*reply, 0) : "";
        if (tag == "lost") {
          bool first;
          {
            absl::MutexLock lock(&mu_);
            first = epoch_ == known && !known.empty();
          }
          if (first) {
            OnLoss(
                "the epoch marker in Redis is gone or another: Redis restarted empty, was "
                "flushed or was replaced");
          }
        } else {
          AdoptEpoch(Text(*reply, 1));
        }
        if (tag == "claimed") {
          Begun begun;
          begun.state = Begun::State::kStarted;
          return std::move(*shared_done)(std::move(begun));
        }
        if (tag == "held") {
          IdempotencyRecord record;
          if (!record.ParseFromString(Text(*reply, 2))) {
            // Not a record this gateway wrote: never replay it.
            return std::move(*shared_done)(absl::InternalError(
                "shared state (Redis): the record of this request_id cannot be read"));
          }
          return std::move(*shared_done)(BegunFrom(std::move(record), fingerprint));
        }
        if (tag == "lost" && key.repeat_is_harmless) {
          // A repeat proves itself: claimed again on the new epoch.
          return Begin(key, fingerprint, running_until, std::move(*shared_done));
        }
        if (tag == "absent" || tag == "lost") {
          absl::Time lost_at;
          std::string why;
          absl::Time until;
          {
            absl::MutexLock lock(&mu_);
            if (tag == "absent" && ParseDoubt(Text(*reply, 2), lost_at, why) &&
                lost_at + options_.retention > doubt_until_) {
              lost_at_ = lost_at;
              doubt_until_ = lost_at + options_.retention;
              loss_ = why;
            }
            lost_at = lost_at_;
            why = loss_;
            until = doubt_until_;
          }
          return Refuse(RequestIdUnverifiable(key.request_id, lost_at, until, why),
                        adapters::errors::reason::kRequestIdUnverifiable,
                        std::move(*shared_done));
        }
        Unreachable(key, fingerprint, running_until, "an unexpected answer to the claim",
                    std::move(*shared_done));
      });
}

void RedisIdempotencyStore::WriteOutcome(std::string const& key_string) {
  std::string value;
  absl::Duration keep;
  {
    absl::MutexLock lock(&mu_);
    auto it = unacknowledged_.find(key_string);
    if (it == unacknowledged_.end()) return;
    value = it->second.value;
    keep = it->second.expires - absl::Now();
  }
  if (keep <= absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    unacknowledged_.erase(key_string);
    return;
  }
  redis_.Command({"SET", RedisKey(key_string), value, "PX", Millis(keep)},
                 [this, key_string, value](absl::StatusOr<RedisReply> reply) {
                   if (reply.ok() && reply->type == RedisReply::Type::kStatus) {
                     absl::MutexLock lock(&mu_);
                     auto it = unacknowledged_.find(key_string);
                     if (it != unacknowledged_.end() && it->second.value == value) {
                       unacknowledged_.erase(it);
                     }
                     return;
                   }
                   RetryUnacknowledgedLater();
                 });
}

void RedisIdempotencyStore::RetryUnacknowledgedLater() {
  {
    absl::MutexLock lock(&mu_);
    if (retry_scheduled_) return;
    retry_scheduled_ = true;
  }
  redis_.After(absl::Seconds(1), [this] {
    std::vector<std::string> keys;
    {
      absl::MutexLock lock(&mu_);
      retry_scheduled_ = false;
      for (auto const& [key, value] : unacknowledged_) keys.push_back(key);
    }
    for (auto const& key : keys) WriteOutcome(key);
  });
}

void RedisIdempotencyStore::Finish(IdempotencyKey const& key, IdempotencyRecord record,
                                   absl::Duration retention) {
  record.set_done(true);
  own_.Finish(key, record, retention);
  std::string key_string = key.String();
  {
    absl::MutexLock lock(&mu_);
    local_claims_.erase(key_string);
    unacknowledged_[key_string] = {record.SerializeAsString(), absl::Now() + retention};
  }
  WriteOutcome(key_string);
}

void RedisIdempotencyStore::Abandon(IdempotencyKey const& key) {
  std::string key_string = key.String();
  bool local;
  {
    absl::MutexLock lock(&mu_);
    local = local_claims_.erase(key_string) > 0;
  }
  if (local) return own_.Abandon(key);
  redis_.Command({"DEL", RedisKey(key_string)}, [](absl::StatusOr<RedisReply>) {});
}

}  // namespace linkgateway::server::idempotency
