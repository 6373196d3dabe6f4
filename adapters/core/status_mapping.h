// The one place where upstream outcomes become gRPC status codes.
//
// Three declarative tables in status_mapping.cc: vendor error identifiers
// (they win, because vendors are more precise than their HTTP codes: AWS sends
// 400 for throttling, not-found and conflict alike; IMIconnect sends business
// errors with HTTP 200), then HTTP status codes (google/rpc/code.proto's HTTP
// mapping and google-cloud-cpp's MapHttpCodeToStatus), then transport
// failures. README.md prints the same tables.
//
// Every mapped error carries google.rpc.ErrorInfo (reason, domain = the
// provider, metadata: provider, httpStatus, upstreamCode, upstreamRequestId
// and vendor fields), google.rpc.RequestInfo when the upstream sent a request
// id, and google.rpc.RetryInfo when it said when to retry. It also carries the
// retry class and whether the request provably never reached the upstream, for
// the retry decorator (internal payloads that never leave the gateway).
#ifndef LINKGATEWAY_ADAPTERS_CORE_STATUS_MAPPING_H_
#define LINKGATEWAY_ADAPTERS_CORE_STATUS_MAPPING_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/http.h"

namespace linkgateway::core {

enum class Provider {
  kDashReplenishment,
  kLoginWithAmazon,
  kSellingPartner,
  kSmsVoice,
  kImiconnect,
};

// The ErrorInfo domain of errors from `provider`, e.g. "sms-voice.amazonaws.com".
absl::string_view Domain(Provider provider);

// A readable name for messages, e.g. "SMS and Voice v2".
absl::string_view DisplayName(Provider provider);

// How a failure may be retried.
enum class RetryClass {
  kNone,       // permanent: retrying cannot help
  kTransient,  // the upstream or the network failed; retry with backoff
  kThrottle,   // the upstream (or our own limiter) asked us to slow down
};

// What an adapter read from an upstream error response.
struct UpstreamError {
  Provider provider = Provider::kDashReplenishment;
  int http_status = 0;
  // The vendor's error identifier, normalised by the adapter: the AWS error
  // name without namespace or suffix, SP-API errors[0].code, the LWA `error`,
  // the IMIconnect response code.
  std::string vendor_code;
  std::string message;     // the upstream's own text, passed on
  std::string request_id;  // e.g. x-amzn-RequestId
  std::optional<absl::Duration> retry_after;
  // Further vendor fields for ErrorInfo.metadata (lowerCamelCase keys).
  std::map<std::string, std::string> metadata;
  // The transport sent the request twice (HttpResponse::sends): the answer
  // may describe the state after the first send.
  bool resent = false;
};

absl::Status MapUpstreamError(UpstreamError const& error);

// The parts of an UpstreamError every response carries: HTTP status, request
// id (x-amzn-RequestId) and Retry-After. The adapter adds the vendor code and
// message it parses from the body.
UpstreamError ErrorFromResponse(Provider provider, HttpResponse const& response, absl::Time now);

// The upstream's error text for a message: trimmed, at most 512 bytes.
std::string TrimmedText(absl::string_view text);

// Failures below HTTP. The transport tells kDeadline (the caller's deadline
// passed) from kTimeout (any other timeout, e.g. a stalled upstream).
enum class TransportFailure {
  kResolve,            // DNS lookup failed
  kConnect,            // refused or unreachable
  kConnectTimeout,     // no TCP/TLS connection in time
  kTlsHandshake,       // TLS handshake failed
  kTlsVerification,    // the upstream's certificate is not trusted
  kSend,               // the connection broke while sending
  kReceive,            // reset or closed while receiving
  kTimeout,            // an upstream timeout that is not the caller's deadline
  kDeadline,           // the caller's deadline passed
  kCancelled,          // the caller cancelled
  kResponseTooLarge,   // the body exceeded upstream.max_response_bytes
  kMalformedResponse,  // the body could not be parsed
  kBadRequest,         // the gateway built an unusable request (a bug)
  kOther,
};

// `domain` is the ErrorInfo domain (the upstream's host or provider domain);
// `detail` says what happened (libcurl's message), never a secret.
absl::Status MapTransportFailure(TransportFailure failure, absl::string_view domain,
                                 absl::string_view detail);

// What the retry decorator reads back from a mapped status.
RetryClass RetryClassOf(absl::Status const& status);
bool ProvablyNotSent(absl::Status const& status);
// The upstream answered a repeated send (see UpstreamError::resent).
bool AnsweredAResend(absl::Status const& status);
std::optional<absl::Duration> RetryDelayOf(absl::Status const& status);

// Marks `status` (e.g. from a local rate limiter or a failed token fetch) with
// a retry class and whether the upstream call was never made.
void SetRetryClass(absl::Status& status, RetryClass retry_class);
void MarkNotSent(absl::Status& status);
void SetRetryDelay(absl::Status& status, absl::Duration delay);

}  // namespace linkgateway::core

#endif  // LINKGATEWAY_ADAPTERS_CORE_STATUS_MAPPING_H_
