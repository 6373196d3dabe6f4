// The IdempotencyStore every replica shares: records in Redis (one atomic
// script claims an id or returns what it holds), so a retry that lands on
// another replica is answered from the same record. While Redis is
// unreachable, records go to the replica's own `fallback` store (a retry on
// the same replica is still deduplicated; the log and a metric say so).
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "adapters/shared_state/redis_client.h"
#include "server/idempotency/idempotency_store.h"

namespace linkgateway::server::idempotency {

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  // `redis` and `fallback` must outlive the store; `on_fallback` (may be
  // empty) is told each time a record goes to the fallback.
  RedisIdempotencyStore(adapters::shared_state::RedisClient& redis, std::string key_prefix,
                        IdempotencyStore& fallback, std::function<void()> on_fallback = nullptr)
      : redis_(redis),
        prefix_(std::move(key_prefix)),
        fallback_(fallback),
        on_fallback_(std::move(on_fallback)) {}

  void Begin(IdempotencyKey const& key, std::string const& fingerprint, absl::Time running_until,
             BeginCallback done) override;
  void Finish(IdempotencyKey const& key, linkgateway::state::v1::IdempotencyRecord record,
              absl::Duration retention) override;
  void Abandon(IdempotencyKey const& key) override;

 private:
  std::string RedisKey(IdempotencyKey const& key) const;
  void BeginLocally(IdempotencyKey const& key, std::string const& fingerprint,
                    absl::Time running_until, BeginCallback done);
  // Whether `key` was begun in the fallback (and forgets it).
  bool TakeLocal(IdempotencyKey const& key) ABSL_LOCKS_EXCLUDED(mu_);

  adapters::shared_state::RedisClient& redis_;
  std::string const prefix_;
  IdempotencyStore& fallback_;
  std::function<void()> const on_fallback_;
  std::atomic<bool> degraded_{false};
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> local_ ABSL_GUARDED_BY(mu_);  // begun in the fallback
};

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_REDIS_IDEMPOTENCY_STORE_H_
