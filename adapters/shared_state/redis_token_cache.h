// The TokenCache in Redis: the token (with its expiry) under one key, a lock
// with an expiry under another, owned by a random id so a replica only ever
// gives up its own lock. The token is a secret: Redis must be trusted.
#ifndef LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_TOKEN_CACHE_H_
#define LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_TOKEN_CACHE_H_

#include <string>

#include "adapters/auth/token_cache.h"
#include "adapters/shared_state/redis_client.h"

namespace linkgateway::adapters::shared_state {

class RedisTokenCache final : public adapters::auth::TokenCache {
 public:
  // `key` names the token (e.g. the LWA client and scope); `redis` must
  // outlive the cache.
  RedisTokenCache(RedisClient& redis, std::string key);

  void Get(adapters::transport::Done<std::optional<Cached>> done) override;
  void Lock(absl::Duration ttl, adapters::transport::Done<bool> done) override;
  void Put(Cached cached, absl::Time keep_until) override;
  void Unlock() override;
  void Invalidate(std::string const& token) override;

 private:
  RedisClient& redis_;
  std::string const token_key_;
  std::string const lock_key_;
  std::string const owner_;  // this replica's lock value
};

}  // namespace linkgateway::adapters::shared_state

#endif  // LINKGATEWAY_ADAPTERS_SHARED_STATE_REDIS_TOKEN_CACHE_H_
