#include "server/idempotency/memory_idempotency_store.h"

#include <utility>

namespace linkgateway::server::idempotency {

using linkgateway::state::v1::IdempotencyRecord;

void MemoryIdempotencyStore::Erase(std::string const& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  lru_.erase(it->second.recency);
  entries_.erase(it);
}

void MemoryIdempotencyStore::Touch(Entry& entry) { lru_.splice(lru_.begin(), lru_, entry.recency); }

void MemoryIdempotencyStore::Begin(IdempotencyKey const& key, std::string const& fingerprint,
                                   absl::Time running_until, BeginCallback done) {
  Begun begun;
  {
    absl::MutexLock lock(&mu_);
    std::string id = key.String();
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.expires <= now_()) {
      Erase(id);
      it = entries_.end();
    }
    if (it == entries_.end()) {
      while (entries_.size() >= max_records_ && !lru_.empty()) Erase(lru_.back());
      lru_.push_front(id);
      Entry entry;
      entry.record.set_fingerprint(fingerprint);
      entry.expires = running_until;
      entry.recency = lru_.begin();
      entries_.emplace(id, std::move(entry));
      begun.state = Begun::State::kStarted;
    } else {
      Touch(it->second);
      begun.record = it->second.record;
      begun.state = begun.record.fingerprint() != fingerprint ? Begun::State::kMismatch
                    : !begun.record.done()                    ? Begun::State::kInProgress
                                                              : Begun::State::kReplay;
    }
  }
  std::move(done)(std::move(begun));
}

void MemoryIdempotencyStore::Finish(IdempotencyKey const& key, IdempotencyRecord record,
                                    absl::Duration retention) {
  absl::MutexLock lock(&mu_);
  std::string id = key.String();
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    while (entries_.size() >= max_records_ && !lru_.empty()) Erase(lru_.back());
    lru_.push_front(id);
    Entry entry;
    entry.recency = lru_.begin();
    it = entries_.emplace(id, std::move(entry)).first;
  }
  record.set_done(true);
  it->second.record = std::move(record);
  it->second.expires = now_() + retention;
  Touch(it->second);
}

void MemoryIdempotencyStore::Abandon(IdempotencyKey const& key) {
  absl::MutexLock lock(&mu_);
  Erase(key.String());
}

std::optional<IdempotencyRecord> MemoryIdempotencyStore::Find(IdempotencyKey const& key) {
  absl::MutexLock lock(&mu_);
  std::string id = key.String();
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= now_()) {
    Erase(id);
    return std::nullopt;
  }
  return it->second.record;
}

std::vector<MemoryIdempotencyStore::Kept> MemoryIdempotencyStore::Finished() const {
  absl::MutexLock lock(&mu_);
  std::vector<Kept> kept;
  absl::Time now = now_();
  for (auto const& [key, entry] : entries_) {
    if (entry.record.done() && entry.expires > now) kept.push_back({key, entry.record, entry.expires});
  }
  return kept;
}

std::size_t MemoryIdempotencyStore::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace linkgateway::server::idempotency
