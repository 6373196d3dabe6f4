// A token cache shared by the gateway's replicas (adapters/shared_state has
// the Redis one): one upstream token for all of them, refreshed by one
// replica at a time. Every operation may fail (the cache is unreachable):
// the token source then fetches on its own.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_TOKEN_CACHE_H_
#define LINKGATEWAY_ADAPTERS_AUTH_TOKEN_CACHE_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

class TokenCache {
 public:
  struct Cached {
    std::string token;
    absl::Time expires_at;
  };

  virtual ~TokenCache() = default;
  // The cached token, if any.
  virtual void Get(adapters::transport::Done<std::optional<Cached>> done) = 0;
  // Tries to become the replica that refreshes, for at most `ttl`.
  virtual void Lock(absl::Duration ttl, adapters::transport::Done<bool> done) = 0;
  // Stores a fresh token (until `keep_until`) and gives up the lock.
  virtual void Put(Cached cached, absl::Time keep_until) = 0;
  // Gives up the lock without a token (the refresh failed).
  virtual void Unlock() = 0;
  // The upstream rejected `token`: drop it, if it is still the cached one.
  virtual void Invalidate(std::string const& token) = 0;
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_TOKEN_CACHE_H_
