#include "adapters/shared_state/redis_token_cache.h"

#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace linkgateway::adapters::shared_state {
namespace {

// Deletes KEYS[1] only if it holds ARGV[1]: a replica gives up only its own
// lock, and drops only the token it was told was rejected.
constexpr char kDeleteIfScript[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// Stores the token (KEYS[1] = ARGV[1] for ARGV[2] ms) and releases the lock
// KEYS[2] if this replica (ARGV[3]) holds it.
constexpr char kPutScript[] = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
)lua";

std::string RandomOwner() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(bytes), sizeof(bytes)));
}

// The stored value: "<expiry, unix ms> <token>".
std::string Encode(adapters::auth::TokenCache::Cached const& cached) {
  return absl::StrCat(absl::ToUnixMillis(cached.expires_at), " ", cached.token);
}

std::optional<adapters::auth::TokenCache::Cached> Decode(std::string const& value) {
  auto space = value.find(' ');
  std::int64_t millis = 0;
  if (space == std::string::npos || !absl::SimpleAtoi(value.substr(0, space), &millis)) {
    return std::nullopt;
  }
  return adapters::auth::TokenCache::Cached{value.substr(space + 1), absl::FromUnixMillis(millis)};
}

}  // namespace

RedisTokenCache::RedisTokenCache(RedisClient& redis, std::string key)
    : redis_(redis), token_key_(key), lock_key_(absl::StrCat(key, ":lock")),
      owner_(RandomOwner()) {}

void RedisTokenCache::Get(adapters::transport::Done<std::optional<Cached>> done) {
  auto pending =
      std::make_shared<adapters::transport::Done<std::optional<Cached>>>(std::move(done));
  redis_.Command({"GET", token_key_}, [pending](absl::StatusOr<RedisReply> reply) {
    if (!reply.ok()) return std::move(*pending)(reply.status());
    if (reply->type == RedisReply::Type::kError) {
      return std::move(*pending)(absl::UnavailableError("shared state (Redis): GET failed"));
    }
    std::optional<Cached> cached;
    if (reply->type == RedisReply::Type::kString) cached = Decode(reply->text);
    std::move(*pending)(std::move(cached));
  });
}

void RedisTokenCache::Lock(absl::Duration ttl, adapters::transport::Done<bool> done) {
  auto pending = std::make_shared<adapters::transport::Done<bool>>(std::move(done));
  redis_.Command({"SET", lock_key_, owner_, "NX", "PX",
                  absl::StrCat(std::max<std::int64_t>(1, absl::ToInt64Milliseconds(ttl)))},
                 [pending](absl::StatusOr<RedisReply> reply) {
                   if (!reply.ok()) return std::move(*pending)(reply.status());
                   if (reply->type == RedisReply::Type::kError) {
                     return std::move(*pending)(
                         absl::UnavailableError("shared state (Redis): SET NX failed"));
                   }
                   std::move(*pending)(reply->type == RedisReply::Type::kStatus);  // OK vs nil
                 });
}

void RedisTokenCache::Put(Cached cached, absl::Time keep_until) {
  std::int64_t keep = std::max<std::int64_t>(1, absl::ToInt64Milliseconds(keep_until - absl::Now()));
  redis_.Command({"EVAL", kPutScript, "2", token_key_, lock_key_, Encode(cached),
                  absl::StrCat(keep), owner_},
                 [](absl::StatusOr<RedisReply>) {});
}

void RedisTokenCache::Unlock() {
  redis_.Command({"EVAL", kDeleteIfScript, "1", lock_key_, owner_},
                 [](absl::StatusOr<RedisReply>) {});
}

void RedisTokenCache::Invalidate(std::string const& token) {
  // The stored value starts with the expiry: compare the whole value.
  auto self = this;
  redis_.Command({"GET", token_key_}, [self, token](absl::StatusOr<RedisReply> reply) {
    if (!reply.ok() || reply->type != RedisReply::Type::kString) return;
    auto cached = Decode(reply->text);
    if (!cached || cached->token != token) return;
    self->redis_.Command({"EVAL", kDeleteIfScript, "1", self->token_key_, reply->text},
                         [](absl::StatusOr<RedisReply>) {});
  });
}

}  // namespace linkgateway::adapters::shared_state
