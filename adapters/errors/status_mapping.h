// Where upstream outcomes become gRPC status codes.
//
// Three declarative tables decide, in this order: the provider's vendor error
// identifiers (each provider's errors.cc; they win, because vendors are more
// precise than their HTTP codes: AWS sends 400 for throttling, not-found and
// conflict alike; IMIconnect sends business errors with HTTP 200), then HTTP
// status codes (google/rpc/code.proto's HTTP mapping and google-cloud-cpp's
// MapHttpCodeToStatus), then transport failures. The last two are
// vendor-neutral and live in status_mapping.cc. README.md prints all three.
//
// Every mapped error carries google.rpc.ErrorInfo (reason, domain = the
// provider's, metadata: provider, httpStatus, upstreamCode, upstreamRequestId
// and vendor fields), google.rpc.RequestInfo when the upstream sent a request
// id, and google.rpc.RetryInfo when it said when to retry. It also carries the
// retry class and whether the request provably never reached the upstream, for
// the retry decorator (internal payloads that never leave the gateway).
#ifndef LINKGATEWAY_ADAPTERS_ERRORS_STATUS_MAPPING_H_
#define LINKGATEWAY_ADAPTERS_ERRORS_STATUS_MAPPING_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::errors {

// How a failure may be retried.
enum class RetryClass {
  kNone,       // permanent: retrying cannot help
  kTransient,  // the upstream or the network failed; retry with backoff
  kThrottle,   // the upstream (or our own limiter) asked us to slow down
  // The upstream rejected credentials that have since been refreshed: one
  // immediate repeat, counted as an attempt (e.g. SP-API's 403 Unauthorized).
  kRefreshedCredentials,
};

// One row of a provider's vendor table: its error identifier and what it
// means for the caller.
struct VendorErrorRow {
  absl::string_view vendor_code;
  absl::StatusCode code;
  RetryClass retry;
  absl::string_view reason;
};

// A provider's error vocabulary (defined in the provider's errors.cc).
struct ProviderErrors {
  // ErrorInfo.domain of every error about this provider, transport failures
  // included, e.g. "sms-voice.amazonaws.com".
  absl::string_view domain;
  // A readable name for messages, e.g. "SMS and Voice v2".
  absl::string_view display_name;
  absl::Span<VendorErrorRow const> rows;
};

// What an adapter read from an upstream error response.
struct UpstreamError {
  ProviderErrors const* provider = nullptr;  // never null when mapped
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
};

absl::Status MapUpstreamError(UpstreamError const& error);

// The parts of an UpstreamError every response carries: HTTP status, request
// id (x-amzn-RequestId) and Retry-After. The adapter adds the vendor code and
// message it parses from the body.
UpstreamError ErrorFromResponse(ProviderErrors const& provider,
                                adapters::transport::HttpResponse const& response, absl::Time now);

// The upstream's error text for a message: SafeText, at most 512 bytes.
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

// `host` is the upstream's host (ErrorInfo metadata `upstreamHost`; until an
// adapter attributes the error to its provider it is also the domain);
// `detail` says what happened (libcurl's message), never a secret.
absl::Status MapTransportFailure(TransportFailure failure, absl::string_view host,
                                 absl::string_view detail);

// The same for an answer the provider's adapter could not use, attributed to
// `provider` at once.
absl::Status MalformedResponse(ProviderErrors const& provider, absl::string_view detail);

// Attributes an error about an upstream call (typically a transport failure)
// to `provider`: ErrorInfo.domain becomes the provider's and metadata names
// it. Errors the gateway raised itself (domain "linkgateway") and OK pass
// unchanged.
absl::Status AttributeTo(ProviderErrors const& provider, absl::Status status);

// The outcome of a call that may have been applied upstream, when nothing
// received proves whether it was: UNKNOWN, reason UPSTREAM_OUTCOME_UNKNOWN
// (standard gRPC retry policies do not retry it), the cause's domain and
// metadata plus `causeCode`, `causeReason` and `why` as evidence, its
// RequestInfo; never RetryInfo.
absl::Status OutcomeUnknown(absl::Status const& cause, absl::string_view why);

// What the retry decorator reads back from a mapped status.
RetryClass RetryClassOf(absl::Status const& status);
bool ProvablyNotSent(absl::Status const& status);
std::optional<absl::Duration> RetryDelayOf(absl::Status const& status);

// Marks `status` (e.g. from a local rate limiter or a failed token fetch) with
// a retry class and whether the upstream call was never made.
void SetRetryClass(absl::Status& status, RetryClass retry_class);
void MarkNotSent(absl::Status& status);
void SetRetryDelay(absl::Status& status, absl::Duration delay);

}  // namespace linkgateway::adapters::errors

#endif  // LINKGATEWAY_ADAPTERS_ERRORS_STATUS_MAPPING_H_
