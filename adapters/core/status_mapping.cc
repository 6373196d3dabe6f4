#include "adapters/core/status_mapping.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/status_details.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::core {
namespace {

using Code = absl::StatusCode;
using R = RetryClass;

// ---------------------------------------------------------------------------
// Table 1: vendor error identifiers. They win over the HTTP status.
// ---------------------------------------------------------------------------
struct VendorRow {
  Provider provider;
  absl::string_view vendor_code;
  Code code;
  RetryClass retry;
  absl::string_view reason;
};

constexpr VendorRow kVendorRows[] = {
    // SMS and Voice v2: the operation's modeled errors (botocore model) ...
    {Provider::kSmsVoice, "ValidationException", Code::kInvalidArgument, R::kNone,
     "UPSTREAM_INVALID_ARGUMENT"},
    {Provider::kSmsVoice, "AccessDeniedException", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_PERMISSION_DENIED"},
    {Provider::kSmsVoice, "ResourceNotFoundException", Code::kNotFound, R::kNone,
     "UPSTREAM_NOT_FOUND"},
    // Not retryable in the model: the resource's state must change first.
    {Provider::kSmsVoice, "ConflictException", Code::kFailedPrecondition, R::kNone,
     "UPSTREAM_CONFLICT"},
    {Provider::kSmsVoice, "ThrottlingException", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
    {Provider::kSmsVoice, "InternalServerException", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kSmsVoice, "ServiceQuotaExceededException", Code::kResourceExhausted, R::kNone,
     "UPSTREAM_QUOTA_EXCEEDED"},
    // ... and AWS common errors (the gateway's credentials and signature).
    {Provider::kSmsVoice, "UnrecognizedClientException", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "InvalidClientTokenId", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "InvalidSignatureException", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "SignatureDoesNotMatch", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "IncompleteSignature", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "MissingAuthenticationToken", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "MissingAuthenticationTokenException", Code::kUnauthenticated,
     R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSmsVoice, "ExpiredTokenException", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_EXPIRED"},
    {Provider::kSmsVoice, "ExpiredToken", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_EXPIRED"},
    // Clock skew: a fresh signature on retry can succeed.
    {Provider::kSmsVoice, "RequestExpired", Code::kUnavailable, R::kTransient,
     "UPSTREAM_REQUEST_EXPIRED"},
    {Provider::kSmsVoice, "OptInRequired", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_PERMISSION_DENIED"},
    {Provider::kSmsVoice, "Throttling", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
    {Provider::kSmsVoice, "TooManyRequestsException", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
    {Provider::kSmsVoice, "RequestLimitExceeded", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
    {Provider::kSmsVoice, "InternalFailure", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kSmsVoice, "ServiceUnavailable", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kSmsVoice, "RequestTimeout", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kSmsVoice, "UnknownOperationException", Code::kInternal, R::kNone,
     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {Provider::kSmsVoice, "SerializationException", Code::kInternal, R::kNone,
     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},

    // Selling Partner API: errors[0].code.
    {Provider::kSellingPartner, "InvalidInput", Code::kInvalidArgument, R::kNone,
     "UPSTREAM_INVALID_ARGUMENT"},
    {Provider::kSellingPartner, "Unauthorized", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_PERMISSION_DENIED"},
    {Provider::kSellingPartner, "MissingAuthenticationToken", Code::kUnauthenticated,
     R::kNone, "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kSellingPartner, "NotFound", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
    {Provider::kSellingPartner, "Conflict", Code::kFailedPrecondition, R::kNone,
     "UPSTREAM_CONFLICT"},
    {Provider::kSellingPartner, "QuotaExceeded", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
    {Provider::kSellingPartner, "InternalFailure", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kSellingPartner, "ServiceUnavailable", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},

    // Login with Amazon token endpoint: the `error` field (RFC 6749 §5.2 and
    // the SP-API SDK's LWA error codes). Its credentials are the gateway's.
    {Provider::kLoginWithAmazon, "invalid_client", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kLoginWithAmazon, "unauthorized_client", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kLoginWithAmazon, "invalid_grant", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kLoginWithAmazon, "invalid_scope", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_PERMISSION_DENIED"},
    {Provider::kLoginWithAmazon, "access_denied", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_PERMISSION_DENIED"},
    {Provider::kLoginWithAmazon, "invalid_request", Code::kInternal, R::kNone,
     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {Provider::kLoginWithAmazon, "unsupported_grant_type", Code::kInternal, R::kNone,
     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {Provider::kLoginWithAmazon, "server_error", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},
    {Provider::kLoginWithAmazon, "temporarily_unavailable", Code::kUnavailable, R::kTransient,
     "UPSTREAM_UNAVAILABLE"},

    // IMIconnect response codes; they may ride on HTTP 200.
    {Provider::kImiconnect, "7000", Code::kInternal, R::kNone,
     "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {Provider::kImiconnect, "7001", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_REJECTED"},
    {Provider::kImiconnect, "7002", Code::kUnauthenticated, R::kNone,
     "UPSTREAM_CREDENTIALS_MISSING"},
    {Provider::kImiconnect, "7003", Code::kInvalidArgument, R::kNone,
     "UPSTREAM_INVALID_ARGUMENT"},
    {Provider::kImiconnect, "7006", Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {Provider::kImiconnect, "7010", Code::kPermissionDenied, R::kNone,
     "UPSTREAM_SOURCE_IP_NOT_ALLOWED"},
    {Provider::kImiconnect, "7014", Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
    {Provider::kImiconnect, "7018", Code::kFailedPrecondition, R::kNone,
     "UPSTREAM_PROFILE_NOT_LINKED"},
    {Provider::kImiconnect, "7020", Code::kResourceExhausted, R::kThrottle,
     "UPSTREAM_THROTTLED"},
};

// ---------------------------------------------------------------------------
// Table 2: HTTP status codes, when no vendor row matched.
// ---------------------------------------------------------------------------
struct HttpRow {
  int first;
  int last;
  Code code;
  RetryClass retry;
  absl::string_view reason;
};

// First match wins, so single codes come before the ranges that hold them.
constexpr HttpRow kHttpRows[] = {
    {400, 400, Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT"},
    {401, 401, Code::kUnauthenticated, R::kNone, "UPSTREAM_UNAUTHENTICATED"},
    {403, 403, Code::kPermissionDenied, R::kNone, "UPSTREAM_PERMISSION_DENIED"},
    {404, 404, Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
    // The gateway chose the method and the content type: a bug, not the caller's.
    {405, 405, Code::kInternal, R::kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {408, 408, Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {409, 409, Code::kFailedPrecondition, R::kNone, "UPSTREAM_CONFLICT"},
    {410, 410, Code::kNotFound, R::kNone, "UPSTREAM_NOT_FOUND"},
    {412, 412, Code::kFailedPrecondition, R::kNone, "UPSTREAM_PRECONDITION_FAILED"},
    {413, 413, Code::kInvalidArgument, R::kNone, "UPSTREAM_REQUEST_TOO_LARGE"},
    {415, 415, Code::kInternal, R::kNone, "UPSTREAM_REJECTED_GATEWAY_REQUEST"},
    {416, 416, Code::kOutOfRange, R::kNone, "UPSTREAM_OUT_OF_RANGE"},
    {429, 429, Code::kResourceExhausted, R::kThrottle, "UPSTREAM_THROTTLED"},
    {499, 499, Code::kCancelled, R::kNone, "UPSTREAM_CANCELLED"},
    {400, 499, Code::kInvalidArgument, R::kNone, "UPSTREAM_INVALID_ARGUMENT"},
    // google-cloud-cpp: a 500 is usually transient.
    {500, 500, Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {501, 501, Code::kUnimplemented, R::kNone, "UPSTREAM_UNIMPLEMENTED"},
    {502, 504, Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {509, 509, Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {598, 599, Code::kUnavailable, R::kTransient, "UPSTREAM_UNAVAILABLE"},
    {500, 599, Code::kInternal, R::kNone, "UPSTREAM_INTERNAL"},
    // Redirects are not followed; any other status is unexpected.
    {100, 999, Code::kUnknown, R::kNone, "UPSTREAM_UNEXPECTED_STATUS"},
};

// ---------------------------------------------------------------------------
// Table 3: transport failures.
// ---------------------------------------------------------------------------
struct TransportRow {
  TransportFailure failure;
  Code code;
  RetryClass retry;
  bool not_sent;  // the request provably never reached the upstream
  absl::string_view reason;
};

constexpr TransportRow kTransportRows[] = {
    {TransportFailure::kResolve, Code::kUnavailable, R::kTransient, true,
     "UPSTREAM_DNS_FAILED"},
    {TransportFailure::kConnect, Code::kUnavailable, R::kTransient, true,
     "UPSTREAM_CONNECT_FAILED"},
    {TransportFailure::kConnectTimeout, Code::kUnavailable, R::kTransient, true,
     "UPSTREAM_CONNECT_TIMEOUT"},
    {TransportFailure::kTlsHandshake, Code::kUnavailable, R::kTransient, true,
     "UPSTREAM_TLS_FAILED"},
    // A certificate that is not trusted now will not be trusted on retry.
    {TransportFailure::kTlsVerification, Code::kUnavailable, R::kNone, true,
     "UPSTREAM_TLS_UNTRUSTED"},
    {TransportFailure::kSend, Code::kUnavailable, R::kTransient, false,
     "UPSTREAM_CONNECTION_LOST"},
    {TransportFailure::kReceive, Code::kUnavailable, R::kTransient, false,
     "UPSTREAM_CONNECTION_LOST"},
    {TransportFailure::kTimeout, Code::kUnavailable, R::kTransient, false,
     "UPSTREAM_TIMEOUT"},
    {TransportFailure::kDeadline, Code::kDeadlineExceeded, R::kNone, false,
     "DEADLINE_EXCEEDED"},
    {TransportFailure::kCancelled, Code::kCancelled, R::kNone, false, "CANCELLED"},
    {TransportFailure::kResponseTooLarge, Code::kInternal, R::kNone, false,
     "UPSTREAM_RESPONSE_TOO_LARGE"},
    {TransportFailure::kMalformedResponse, Code::kInternal, R::kNone, false,
     "UPSTREAM_MALFORMED_RESPONSE"},
    {TransportFailure::kBadRequest, Code::kInternal, R::kNone, true,
     "GATEWAY_BAD_UPSTREAM_REQUEST"},
    {TransportFailure::kOther, Code::kUnknown, R::kNone, false, "UPSTREAM_TRANSPORT_FAILED"},
};

// Internal payloads: keys without the type.googleapis.com/ prefix never
// reach the caller (status_details.cc only forwards google.rpc types).
constexpr absl::string_view kRetryClassKey = "linkgateway.internal/retry-class";
constexpr absl::string_view kNotSentKey = "linkgateway.internal/not-sent";
constexpr absl::string_view kResentKey = "linkgateway.internal/resent";

absl::Status Build(Code code, absl::string_view message, absl::string_view reason,
                   absl::string_view domain, RetryClass retry,
                   std::map<std::string, std::string> metadata) {
  absl::Status status = WithErrorInfo(absl::Status(code, message), reason, domain,
                                      std::move(metadata));
  SetRetryClass(status, retry);
  return status;
}

}  // namespace

absl::string_view Domain(Provider provider) {
  switch (provider) {
    case Provider::kDashReplenishment:
      return "dash-replenishment-service.amazon.com";
    case Provider::kLoginWithAmazon:
      return "api.amazon.com";
    case Provider::kSellingPartner:
      return "sellingpartnerapi.amazon.com";
    case Provider::kSmsVoice:
      return "sms-voice.amazonaws.com";
    case Provider::kImiconnect:
      return "imiconnect.io";
  }
  return "unknown";
}

absl::string_view DisplayName(Provider provider) {
  switch (provider) {
    case Provider::kDashReplenishment:
      return "Dash Replenishment";
    case Provider::kLoginWithAmazon:
      return "Login with Amazon";
    case Provider::kSellingPartner:
      return "Selling Partner API";
    case Provider::kSmsVoice:
      return "SMS and Voice v2";
    case Provider::kImiconnect:
      return "IMIconnect";
  }
  return "upstream";
}

absl::Status MapUpstreamError(UpstreamError const& error) {
  Code code = Code::kUnknown;
  RetryClass retry = R::kNone;
  absl::string_view reason = "UPSTREAM_UNEXPECTED_STATUS";
  bool matched = false;
  if (!error.vendor_code.empty()) {
    for (auto const& row : kVendorRows) {
      if (row.provider == error.provider && row.vendor_code == error.vendor_code) {
        code = row.code, retry = row.retry, reason = row.reason, matched = true;
        break;
      }
    }
  }
  if (!matched) {
    for (auto const& row : kHttpRows) {
      if (error.http_status >= row.first && error.http_status <= row.last) {
        code = row.code, retry = row.retry, reason = row.reason;
        break;
      }
    }
  }

  std::string message = absl::StrCat(DisplayName(error.provider), " answered");
  if (error.http_status != 0) absl::StrAppend(&message, " HTTP ", error.http_status);
  if (!error.vendor_code.empty()) absl::StrAppend(&message, " ", error.vendor_code);
  if (!error.message.empty()) absl::StrAppend(&message, ": ", error.message);

  std::map<std::string, std::string> metadata = error.metadata;
  metadata["provider"] = std::string(DisplayName(error.provider));
  if (error.http_status != 0) metadata["httpStatus"] = absl::StrCat(error.http_status);
  if (!error.vendor_code.empty()) metadata["upstreamCode"] = error.vendor_code;
  if (!error.request_id.empty()) metadata["upstreamRequestId"] = error.request_id;

  absl::Status status =
      Build(code, message, reason, Domain(error.provider), retry, std::move(metadata));
  if (!error.request_id.empty()) {
    google::rpc::RequestInfo info;
    info.set_request_id(error.request_id);
    AttachDetail(status, info);
  }
  if (error.retry_after) SetRetryDelay(status, *error.retry_after);
  if (error.resent) status.SetPayload(kResentKey, absl::Cord("1"));
  return status;
}

UpstreamError ErrorFromResponse(Provider provider, HttpResponse const& response,
                                absl::Time now) {
  UpstreamError error;
  error.provider = provider;
  error.http_status = response.status;
  error.request_id = response.Header("x-amzn-requestid");
  error.retry_after = RetryAfter(response, now);
  error.resent = response.sends > 1;
  return error;
}

std::string TrimmedText(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= 512) return std::string(text);
  return absl::StrCat(text.substr(0, 509), "...");
}

absl::Status MapTransportFailure(TransportFailure failure, absl::string_view domain,
                                 absl::string_view detail) {
  for (auto const& row : kTransportRows) {
    if (row.failure != failure) continue;
    absl::Status status =
        Build(row.code, absl::StrCat("upstream ", domain, ": ", detail), row.reason, domain,
              row.retry, {{"upstreamHost", std::string(domain)}});
    if (row.not_sent) MarkNotSent(status);
    return status;
  }
  return absl::UnknownError(detail);
}

RetryClass RetryClassOf(absl::Status const& status) {
  auto payload = status.GetPayload(kRetryClassKey);
  if (!payload) return R::kNone;
  if (*payload == "throttle") return R::kThrottle;
  if (*payload == "transient") return R::kTransient;
  return R::kNone;
}

bool ProvablyNotSent(absl::Status const& status) {
  return status.GetPayload(kNotSentKey).has_value();
}

bool AnsweredAResend(absl::Status const& status) {
  return status.GetPayload(kResentKey).has_value();
}

std::optional<absl::Duration> RetryDelayOf(absl::Status const& status) {
  google::rpc::RetryInfo info;
  if (!FindDetail(status, info)) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

void SetRetryClass(absl::Status& status, RetryClass retry_class) {
  switch (retry_class) {
    case R::kNone:
      status.ErasePayload(kRetryClassKey);
      return;
    case R::kTransient:
      status.SetPayload(kRetryClassKey, absl::Cord("transient"));
      return;
    case R::kThrottle:
      status.SetPayload(kRetryClassKey, absl::Cord("throttle"));
      return;
  }
}

void MarkNotSent(absl::Status& status) { status.SetPayload(kNotSentKey, absl::Cord("1")); }

void SetRetryDelay(absl::Status& status, absl::Duration delay) {
  google::rpc::RetryInfo info;
  int64_t seconds = absl::IDivDuration(delay, absl::Seconds(1), &delay);
  info.mutable_retry_delay()->set_seconds(seconds);
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay)));
  AttachDetail(status, info);
}

}  // namespace linkgateway::core
