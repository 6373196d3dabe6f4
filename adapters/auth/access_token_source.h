// OAuth access tokens for upstream calls.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_ACCESS_TOKEN_SOURCE_H_
#define LINKGATEWAY_ADAPTERS_AUTH_ACCESS_TOKEN_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

class AccessTokenSource {
 public:
  virtual ~AccessTokenSource() = default;

  // A valid token, from the cache or a refresh; `done` runs exactly once, on
  // any thread (inline when cached). Errors are mapped statuses. A caller
  // waiting for a refresh is answered DEADLINE_EXCEEDED at `deadline` and
  // CANCELLED when `cancellation` (may be null) fires, whichever is first.
  virtual void GetToken(absl::Time deadline,
                        std::shared_ptr<adapters::async::Cancellation> cancellation,
                        adapters::transport::Done<std::string> done) = 0;

  // The upstream said `token` is no longer valid: the next GetToken refreshes.
  virtual void Invalidate(std::string const& token) = 0;

  // OK unless the token endpoint's latest answer rejected the gateway's own
  // credentials (then that error): what health checks and dry runs report.
  // Transient failures do not count.
  virtual absl::Status CredentialsAccepted() const { return absl::OkStatus(); }
};

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_ACCESS_TOKEN_SOURCE_H_
