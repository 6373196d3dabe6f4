// The in-process IdempotencyStore: bounded (least recently used records go
// first) and expiring. What a single gateway uses, and what a replica sharing
// Redis keeps of its own records (to answer its own retries, and to give
// them back to a Redis that lost them).
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_MEMORY_IDEMPOTENCY_STORE_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_MEMORY_IDEMPOTENCY_STORE_H_

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/idempotency/idempotency_store.h"

namespace linkgateway::server::idempotency {

class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  // `now` is the clock (tests pass a manual one).
  explicit MemoryIdempotencyStore(std::size_t max_records,
                                  std::function<absl::Time()> now = absl::Now)
      : max_records_(max_records), now_(std::move(now)) {}

  void Begin(IdempotencyKey const& key, std::string const& fingerprint, absl::Time running_until,
             BeginCallback done) override ABSL_LOCKS_EXCLUDED(mu_);
  void Finish(IdempotencyKey const& key, linkgateway::state::v1::IdempotencyRecord record,
              absl::Duration retention) override ABSL_LOCKS_EXCLUDED(mu_);
  void Abandon(IdempotencyKey const& key) override ABSL_LOCKS_EXCLUDED(mu_);

  std::size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // What `key` holds (a claim or a record), without claiming it.
  std::optional<linkgateway::state::v1::IdempotencyRecord> Find(IdempotencyKey const& key)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every finished record still kept: its key (IdempotencyKey::String()),
  // the record and until when it is kept.
  struct Kept {
    std::string key;
    linkgateway::state::v1::IdempotencyRecord record;
    absl::Time expires;
  };
  std::vector<Kept> Finished() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    linkgateway::state::v1::IdempotencyRecord record;
    absl::Time expires;
    std::list<std::string>::iterator recency;  // position in `lru_`
  };

  // Drops `it`'s entry; returns the next.
  void Erase(std::string const& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Touch(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::size_t const max_records_;
  std::function<absl::Time()> const now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recent
};

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_MEMORY_IDEMPOTENCY_STORE_H_
