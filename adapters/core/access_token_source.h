// OAuth access tokens for upstream calls.
#ifndef LINKGATEWAY_ADAPTERS_CORE_ACCESS_TOKEN_SOURCE_H_
#define LINKGATEWAY_ADAPTERS_CORE_ACCESS_TOKEN_SOURCE_H_

#include <string>

#include "absl/time/time.h"
#include "adapters/core/http.h"

namespace linkgateway::core {

class AccessTokenSource {
 public:
  virtual ~AccessTokenSource() = default;

  // A valid token, from the cache or a refresh; `done` may run on any thread
  // (inline when cached). Errors are mapped statuses.
  virtual void GetToken(absl::Time deadline, Done<std::string> done) = 0;

  // The upstream said `token` is no longer valid: the next GetToken refreshes.
  virtual void Invalidate(std::string const& token) = 0;
};

}  // namespace linkgateway::core

#endif  // LINKGATEWAY_ADAPTERS_CORE_ACCESS_TOKEN_SOURCE_H_
