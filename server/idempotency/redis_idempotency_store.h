// The IdempotencyStore every replica shares: records in Redis (one atomic
// script claims an id or returns what it holds), so a retry that lands on
// another replica is answered from the same record.
//
// Records must not vanish silently, since each one is what stops a second
// irreversible delete. So:
//  - Redis's persistence is read at every connection (RedisSession): only
//    appendonly yes + appendfsync always, without eviction, keeps what it
//    acknowledged across a restart.
//  - An epoch marker (a random id under <prefix>idempotency:epoch) is checked
//    atomically by every claim: a Redis that came back empty, was flushed or
//    replaced has lost it. A new run_id on a Redis without that persistence
//    is a loss too (what it acknowledged since its last save is gone).
//  - After a loss the replica gives Redis back the records it made itself,
//    and for `retention` refuses (FAILED_PRECONDITION, REQUEST_ID_UNVERIFIABLE)
//    any request_id Redis has no record of: it can no longer tell a new id
//    from one whose delete was sent before the loss. The log, the refusal
//    and health() say so.
//  - While Redis is unreachable a request_id cannot be checked against the
//    other replicas' records: the call is refused (UNAVAILABLE, nothing
//    sent), unless this gateway is the only replica (allow_local_claims) or
//    a repeat of the delete is harmless (IdempotencyKey::repeat_is_harmless):
//    then it claims in its own memory and hands the records to Redis when
//    it is back. A harmless repeat is not refused after a loss either.
//  - An outcome is kept in this replica's memory and written to Redis until
//    Redis has acknowledged it (again after every reconnection).
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "adapters/shared_state/redis_client.h"
#include "server/idempotency/idempotency_store.h"
#include "server/idempotency/memory_idempotency_store.h"

namespace linkgateway::server::idempotency {

struct RedisIdempotencyOptions {
  std::string key_prefix;  // e.g. "linkgateway:"
  // How long records are kept: also how long unknown ids are refused after
  // a loss (the promise the lost records made).
  absl::Duration retention = absl::Hours(24);
  // The only replica: claim in memory while Redis is unreachable.
  bool allow_local_claims = false;
  // Told each time a claim was made in memory (metrics); may be empty.
  std::function<void()> on_fallback;
  // Told each refusal, with its reason (IDEMPOTENCY_UNAVAILABLE,
  // REQUEST_ID_UNVERIFIABLE); may be empty.
  std::function<void(absl::string_view)> on_refusal;
};

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  // `redis` and `own` (this replica's records) must outlive the store, and
  // the client must be stopped (destroyed) first: its answers and session
  // listeners reach the store until then.
  RedisIdempotencyStore(adapters::shared_state::RedisClient& redis, MemoryIdempotencyStore& own,
                        RedisIdempotencyOptions options);

  void Begin(IdempotencyKey const& key, std::string const& fingerprint, absl::Time running_until,
             BeginCallback done) override;
  void Finish(IdempotencyKey const& key, linkgateway::state::v1::IdempotencyRecord record,
              absl::Duration retention) override;
  void Abandon(IdempotencyKey const& key) override;

  // OK while records are vouched for; FAILED_PRECONDITION (why, and until
  // when) while unknown ids are refused after a loss. Cheap.
  absl::Status health() const ABSL_LOCKS_EXCLUDED(mu_);

  // Outcomes not yet acknowledged by Redis (tests, the nemesis checker).
  std::size_t unacknowledged() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Unacknowledged {
    std::string value;
    absl::Time expires;
  };

  std::string RedisKey(std::string const& key_string) const;
  std::string EpochKey() const;
  void OnSession(adapters::shared_state::RedisSession const& session) ABSL_LOCKS_EXCLUDED(mu_);
  // The script said (or the session showed) that records were lost.
  void OnLoss(std::string const& why) ABSL_LOCKS_EXCLUDED(mu_);
  // Learns the epoch from a reply; false when it shows a loss.
  void AdoptEpoch(std::string const& epoch) ABSL_LOCKS_EXCLUDED(mu_);
  void CheckEpoch();
  void WriteOutcome(std::string const& key_string) ABSL_LOCKS_EXCLUDED(mu_);
  void RetryUnacknowledgedLater() ABSL_LOCKS_EXCLUDED(mu_);
  void Refuse(absl::Status status, absl::string_view reason, BeginCallback done);
  // Begin while Redis cannot be asked.
  void Unreachable(IdempotencyKey const& key, std::string const& fingerprint,
                   absl::Time running_until, absl::string_view why, BeginCallback done);

  adapters::shared_state::RedisClient& redis_;
  MemoryIdempotencyStore& own_;
  RedisIdempotencyOptions const options_;

  mutable absl::Mutex mu_;
  std::string epoch_ ABSL_GUARDED_BY(mu_);   // "" until learned (again)
  std::string run_id_ ABSL_GUARDED_BY(mu_);  // of the latest session
  absl::Time lost_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time doubt_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string loss_ ABSL_GUARDED_BY(mu_);  // why records were lost
  absl::flat_hash_set<std::string> local_claims_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Unacknowledged> unacknowledged_ ABSL_GUARDED_BY(mu_);
  bool retry_scheduled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_
