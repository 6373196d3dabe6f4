// The upstream HTTP transport interface, vendor-neutral: authentication
// (tokens, API keys, SigV4 signatures) is in the request's headers by the time
// it gets here (adapters/auth).
//
// As in google-cloud-cpp's RestClient, an HTTP 4xx/5xx response is a
// *successful* transport result: turning it into a status is the mapping's
// job (status_mapping.h). Transport errors (DNS, connect, TLS, timeout, reset,
// oversize body, cancellation) arrive already mapped to a status.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_HTTP_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_HTTP_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"

namespace linkgateway::adapters::transport {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What the transport saw of one call's upstream exchange, for its audit
// record and access log: requests that went on the wire, and the last HTTP
// status. Shared by the call's attempts; may be read from any thread.
struct UpstreamTrace {
  std::atomic<int> sends{0};
  std::atomic<int> last_http_status{0};
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  // The whole exchange must end by then (the caller's deadline).
  absl::Time deadline = absl::InfiniteFuture();
  // The call's trace (may be null): counts this request when it is sent.
  std::shared_ptr<UpstreamTrace> trace;
  // A credential endpoint on a link-local or loopback address (EC2 instance
  // metadata, the container credentials endpoint): plain http:// is allowed
  // whatever the transport's options, and no proxy is used. Its caller
  // checks the host first (adapters/auth/credential_endpoints.h).
  bool credential_endpoint = false;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;

  // The first value of header `name` (any case), or "".
  std::string Header(absl::string_view name) const;
};

// The upstream's Retry-After (delta-seconds or an HTTP-date, RFC 9110), as a
// wait from `now`; nullopt when absent or unparsable.
std::optional<absl::Duration> RetryAfter(HttpResponse const& response, absl::Time now);

template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Starts `request` and returns at once; `done` runs exactly once, on the
  // transport's thread, so it must not block. A `cancellation` (may be null)
  // aborts the transfer with CANCELLED.
  virtual void Send(HttpRequest request,
                    std::shared_ptr<adapters::async::Cancellation> cancellation,
                    Done<HttpResponse> done) = 0;
};

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_HTTP_H_
