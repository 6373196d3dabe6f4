// Every google.rpc.ErrorInfo reason the gateway sets, in one place. Callers
// match on these strings (clients, dashboards, runbooks): they are API.
#ifndef LINKGATEWAY_ADAPTERS_ERRORS_REASONS_H_
#define LINKGATEWAY_ADAPTERS_ERRORS_REASONS_H_

#include "absl/strings/string_view.h"

namespace linkgateway::adapters::errors::reason {

// Raised by the gateway itself (ErrorInfo.domain "linkgateway").
inline constexpr absl::string_view kInvalidArgument = "INVALID_ARGUMENT";
inline constexpr absl::string_view kProviderNotConfigured = "PROVIDER_NOT_CONFIGURED";
inline constexpr absl::string_view kProviderNotImplemented = "PROVIDER_NOT_IMPLEMENTED";
inline constexpr absl::string_view kClientRateLimited = "CLIENT_RATE_LIMITED";
inline constexpr absl::string_view kOverloaded = "OVERLOADED";
inline constexpr absl::string_view kTooManyStreams = "TOO_MANY_STREAMS";
inline constexpr absl::string_view kUnauthenticated = "UNAUTHENTICATED";
inline constexpr absl::string_view kPermissionDenied = "PERMISSION_DENIED";
inline constexpr absl::string_view kAuditUnavailable = "AUDIT_UNAVAILABLE";
inline constexpr absl::string_view kRequestInProgress = "REQUEST_IN_PROGRESS";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
inline constexpr absl::string_view kIdempotencyUnavailable = "IDEMPOTENCY_UNAVAILABLE";
// The records that stop a repeated delete were lost (e.g. Redis restarted
// empty): the gateway cannot tell whether this request_id was sent already.
inline constexpr absl::string_view kRequestIdUnverifiable = "REQUEST_ID_UNVERIFIABLE";
inline constexpr absl::string_view kGatewayCredentialsMissing = "GATEWAY_CREDENTIALS_MISSING";
inline constexpr absl::string_view kGatewayBadUpstreamRequest = "GATEWAY_BAD_UPSTREAM_REQUEST";
inline constexpr absl::string_view kDeadlineExceeded = "DEADLINE_EXCEEDED";
inline constexpr absl::string_view kCancelled = "CANCELLED";

// About an upstream (ErrorInfo.domain: that provider's domain).
inline constexpr absl::string_view kUpstreamInvalidArgument = "UPSTREAM_INVALID_ARGUMENT";
inline constexpr absl::string_view kUpstreamUnauthenticated = "UPSTREAM_UNAUTHENTICATED";
inline constexpr absl::string_view kUpstreamPermissionDenied = "UPSTREAM_PERMISSION_DENIED";
inline constexpr absl::string_view kUpstreamNotFound = "UPSTREAM_NOT_FOUND";
inline constexpr absl::string_view kUpstreamConflict = "UPSTREAM_CONFLICT";
inline constexpr absl::string_view kUpstreamPreconditionFailed = "UPSTREAM_PRECONDITION_FAILED";
inline constexpr absl::string_view kUpstreamRequestTooLarge = "UPSTREAM_REQUEST_TOO_LARGE";
inline constexpr absl::string_view kUpstreamOutOfRange = "UPSTREAM_OUT_OF_RANGE";
inline constexpr absl::string_view kUpstreamThrottled = "UPSTREAM_THROTTLED";
inline constexpr absl::string_view kUpstreamQuotaExceeded = "UPSTREAM_QUOTA_EXCEEDED";
inline constexpr absl::string_view kUpstreamCancelled = "UPSTREAM_CANCELLED";
inline constexpr absl::string_view kUpstreamUnavailable = "UPSTREAM_UNAVAILABLE";
inline constexpr absl::string_view kUpstreamUnimplemented = "UPSTREAM_UNIMPLEMENTED";
inline constexpr absl::string_view kUpstreamInternal = "UPSTREAM_INTERNAL";
inline constexpr absl::string_view kUpstreamUnexpectedStatus = "UPSTREAM_UNEXPECTED_STATUS";
inline constexpr absl::string_view kUpstreamRejectedGatewayRequest =
    "UPSTREAM_REJECTED_GATEWAY_REQUEST";
inline constexpr absl::string_view kUpstreamCredentialsRejected = "UPSTREAM_CREDENTIALS_REJECTED";
inline constexpr absl::string_view kUpstreamCredentialsExpired = "UPSTREAM_CREDENTIALS_EXPIRED";
inline constexpr absl::string_view kUpstreamCredentialsMissing = "UPSTREAM_CREDENTIALS_MISSING";
inline constexpr absl::string_view kUpstreamRequestExpired = "UPSTREAM_REQUEST_EXPIRED";
inline constexpr absl::string_view kUpstreamSourceIpNotAllowed = "UPSTREAM_SOURCE_IP_NOT_ALLOWED";
inline constexpr absl::string_view kUpstreamProfileNotLinked = "UPSTREAM_PROFILE_NOT_LINKED";
// The request may or may not have been applied upstream, and nothing the
// gateway received proves which (details in ErrorInfo.metadata). Not
// retryable by standard gRPC retry policies: check the target's state first.
inline constexpr absl::string_view kUpstreamOutcomeUnknown = "UPSTREAM_OUTCOME_UNKNOWN";

// Below HTTP (ErrorInfo.domain: the provider's; the host is in metadata).
inline constexpr absl::string_view kUpstreamDnsFailed = "UPSTREAM_DNS_FAILED";
inline constexpr absl::string_view kUpstreamConnectFailed = "UPSTREAM_CONNECT_FAILED";
inline constexpr absl::string_view kUpstreamConnectTimeout = "UPSTREAM_CONNECT_TIMEOUT";
inline constexpr absl::string_view kUpstreamTlsFailed = "UPSTREAM_TLS_FAILED";
inline constexpr absl::string_view kUpstreamTlsUntrusted = "UPSTREAM_TLS_UNTRUSTED";
inline constexpr absl::string_view kUpstreamConnectionLost = "UPSTREAM_CONNECTION_LOST";
inline constexpr absl::string_view kUpstreamTimeout = "UPSTREAM_TIMEOUT";
inline constexpr absl::string_view kUpstreamResponseTooLarge = "UPSTREAM_RESPONSE_TOO_LARGE";
inline constexpr absl::string_view kUpstreamMalformedResponse = "UPSTREAM_MALFORMED_RESPONSE";
inline constexpr absl::string_view kUpstreamTransportFailed = "UPSTREAM_TRANSPORT_FAILED";

}  // namespace linkgateway::adapters::errors::reason

#endif  // LINKGATEWAY_ADAPTERS_ERRORS_REASONS_H_
