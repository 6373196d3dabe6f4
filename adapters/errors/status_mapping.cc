#include "adapters/errors/status_mapping.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/upstream_text.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::adapters::errors {
namespace {

using Code = absl::StatusCode;
using R = RetryClass;

// ---------------------------------------------------------------------------
// HTTP status codes, when no vendor row matched.
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
    {400, 400, Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    {401, 401, Code::kUnauthenticated, R::kNone, reason::kUpstreamUnauthenticated},
    {403, 403, Code::kPermissionDenied, R::kNone, reason::kUpstreamPermissionDenied},
    {404, 404, Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    // The gateway chose the method and the content type: a bug, not the caller's.
    {405, 405, Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
    {408, 408, Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {409, 409, Code::kFailedPrecondition, R::kNone, reason::kUpstreamConflict},
    {410, 410, Code::kNotFound, R::kNone, reason::kUpstreamNotFound},
    {412, 412, Code::kFailedPrecondition, R::kNone, reason::kUpstreamPreconditionFailed},
    {413, 413, Code::kInvalidArgument, R::kNone, reason::kUpstreamRequestTooLarge},
    {415, 415, Code::kInternal, R::kNone, reason::kUpstreamRejectedGatewayRequest},
    {416, 416, Code::kOutOfRange, R::kNone, reason::kUpstreamOutOfRange},
    {429, 429, Code::kResourceExhausted, R::kThrottle, reason::kUpstreamThrottled},
    {499, 499, Code::kCancelled, R::kNone, reason::kUpstreamCancelled},
    {400, 499, Code::kInvalidArgument, R::kNone, reason::kUpstreamInvalidArgument},
    // google-cloud-cpp: a 500 is usually transient.
    {500, 500, Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {501, 501, Code::kUnimplemented, R::kNone, reason::kUpstreamUnimplemented},
    {502, 504, Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {509, 509, Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {598, 599, Code::kUnavailable, R::kTransient, reason::kUpstreamUnavailable},
    {500, 599, Code::kInternal, R::kNone, reason::kUpstreamInternal},
    // Redirects are not followed; any other status is unexpected.
    {100, 999, Code::kUnknown, R::kNone, reason::kUpstreamUnexpectedStatus},
};

// ---------------------------------------------------------------------------
// Transport failures.
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
     reason::kUpstreamDnsFailed},
    {TransportFailure::kConnect, Code::kUnavailable, R::kTransient, true,
     reason::kUpstreamConnectFailed},
    {TransportFailure::kConnectTimeout, Code::kUnavailable, R::kTransient, true,
     reason::kUpstreamConnectTimeout},
    {TransportFailure::kTlsHandshake, Code::kUnavailable, R::kTransient, true,
     reason::kUpstreamTlsFailed},
    // A certificate that is not trusted now will not be trusted on retry.
    {TransportFailure::kTlsVerification, Code::kUnavailable, R::kNone, true,
     reason::kUpstreamTlsUntrusted},
    {TransportFailure::kSend, Code::kUnavailable, R::kTransient, false,
     reason::kUpstreamConnectionLost},
    {TransportFailure::kReceive, Code::kUnavailable, R::kTransient, false,
     reason::kUpstreamConnectionLost},
    {TransportFailure::kTimeout, Code::kUnavailable, R::kTransient, false,
     reason::kUpstreamTimeout},
    {TransportFailure::kDeadline, Code::kDeadlineExceeded, R::kNone, false,
     reason::kDeadlineExceeded},
    {TransportFailure::kCancelled, Code::kCancelled, R::kNone, false, reason::kCancelled},
    {TransportFailure::kResponseTooLarge, Code::kInternal, R::kNone, false,
     reason::kUpstreamResponseTooLarge},
    {TransportFailure::kMalformedResponse, Code::kInternal, R::kNone, false,
     reason::kUpstreamMalformedResponse},
    {TransportFailure::kBadRequest, Code::kInternal, R::kNone, true,
     reason::kGatewayBadUpstreamRequest},
    {TransportFailure::kOther, Code::kUnknown, R::kNone, false, reason::kUpstreamTransportFailed},
};

// Internal payloads: keys without the type.googleapis.com/ prefix never
// reach the caller (status_details.cc only forwards google.rpc types).
constexpr absl::string_view kRetryClassKey = "linkgateway.internal/retry-class";
constexpr absl::string_view kNotSentKey = "linkgateway.internal/not-sent";

absl::Status Build(Code code, absl::string_view message, absl::string_view reason,
                   absl::string_view domain, RetryClass retry,
                   std::map<std::string, std::string> metadata) {
  absl::Status status = WithErrorInfo(absl::Status(code, message), reason, domain,
                                      std::move(metadata));
  SetRetryClass(status, retry);
  return status;
}

}  // namespace

absl::Status MapUpstreamError(UpstreamError const& error) {
  Code code = Code::kUnknown;
  RetryClass retry = R::kNone;
  absl::string_view reason = reason::kUpstreamUnexpectedStatus;
  bool matched = false;
  if (!error.vendor_code.empty()) {
    for (auto const& row : error.provider->rows) {
      if (row.vendor_code == error.vendor_code) {
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

  // Whatever the upstream sent reaches the caller bounded and valid UTF-8.
  std::string vendor_code = SafeText(error.vendor_code, kMaxUpstreamIdBytes);
  std::string request_id = SafeText(error.request_id, kMaxUpstreamIdBytes);
  std::string message = absl::StrCat(error.provider->display_name, " answered");
  if (error.http_status != 0) absl::StrAppend(&message, " HTTP ", error.http_status);
  if (!vendor_code.empty()) absl::StrAppend(&message, " ", vendor_code);
  if (!error.message.empty()) {
    absl::StrAppend(&message, ": ", SafeText(error.message, kMaxUpstreamMessageBytes));
  }

  std::map<std::string, std::string> metadata;
  for (auto const& [key, value] : error.metadata) {
    metadata[key] = SafeText(value, kMaxUpstreamValueBytes);
  }
  metadata["provider"] = std::string(error.provider->display_name);
  if (error.http_status != 0) metadata["httpStatus"] = absl::StrCat(error.http_status);
  if (!vendor_code.empty()) metadata["upstreamCode"] = vendor_code;
  if (!request_id.empty()) metadata["upstreamRequestId"] = request_id;

  absl::Status status =
      Build(code, message, reason, error.provider->domain, retry, std::move(metadata));
  if (!request_id.empty()) {
    google::rpc::RequestInfo info;
    info.set_request_id(request_id);
    AttachDetail(status, info);
  }
  if (error.retry_after) SetRetryDelay(status, *error.retry_after);
  return status;
}

UpstreamError ErrorFromResponse(ProviderErrors const& provider,
                                adapters::transport::HttpResponse const& response, absl::Time now) {
  UpstreamError error;
  error.provider = &provider;
  error.http_status = response.status;
  error.request_id = response.Header("x-amzn-requestid");
  error.retry_after = adapters::transport::RetryAfter(response, now);
  return error;
}

std::string TrimmedText(absl::string_view text) {
  return SafeText(text, kMaxUpstreamMessageBytes);
}

absl::Status MapTransportFailure(TransportFailure failure, absl::string_view host,
                                 absl::string_view detail) {
  for (auto const& row : kTransportRows) {
    if (row.failure != failure) continue;
    std::string safe_host = SafeText(host, kMaxUpstreamValueBytes);
    absl::Status status = Build(
        row.code, absl::StrCat("upstream ", safe_host, ": ", SafeText(detail, 512)), row.reason,
        safe_host, row.retry, {{"upstreamHost", safe_host}});
    if (row.not_sent) MarkNotSent(status);
    return status;
  }
  return absl::UnknownError(detail);
}

absl::Status MalformedResponse(ProviderErrors const& provider, absl::string_view detail) {
  return Build(Code::kInternal, absl::StrCat(provider.display_name, ": ", detail),
               reason::kUpstreamMalformedResponse, provider.domain, R::kNone,
               {{"provider", std::string(provider.display_name)}});
}

absl::Status AttributeTo(ProviderErrors const& provider, absl::Status status) {
  google::rpc::ErrorInfo info;
  if (status.ok() || !FindDetail(status, info) || info.domain() == kGatewayDomain) {
    return status;
  }
  info.set_domain(std::string(provider.domain));
  (*info.mutable_metadata())["provider"] = std::string(provider.display_name);
  AttachDetail(status, info);
  return status;
}

absl::Status OutcomeUnknown(absl::Status const& cause, absl::string_view why) {
  google::rpc::ErrorInfo info;
  bool has_info = FindDetail(cause, info);
  std::map<std::string, std::string> metadata(info.metadata().begin(), info.metadata().end());
  metadata["causeCode"] = absl::StatusCodeToString(cause.code());
  if (has_info) metadata["causeReason"] = info.reason();
  metadata["why"] = std::string(why);
  absl::Status status = WithErrorInfo(
      absl::UnknownError(absl::StrCat("the outcome is unknown: ", why, " (", cause.message(),
                                      "); check the target's state before repeating the call")),
      reason::kUpstreamOutcomeUnknown, has_info ? info.domain() : kGatewayDomain,
      std::move(metadata));
  google::rpc::RequestInfo request_info;
  if (FindDetail(cause, request_info)) AttachDetail(status, request_info);
  return status;
}

RetryClass RetryClassOf(absl::Status const& status) {
  auto payload = status.GetPayload(kRetryClassKey);
  if (!payload) return R::kNone;
  if (*payload == "throttle") return R::kThrottle;
  if (*payload == "transient") return R::kTransient;
  if (*payload == "refreshed-credentials") return R::kRefreshedCredentials;
  return R::kNone;
}

bool ProvablyNotSent(absl::Status const& status) {
  return status.GetPayload(kNotSentKey).has_value();
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
    case R::kRefreshedCredentials:
      status.SetPayload(kRetryClassKey, absl::Cord("refreshed-credentials"));
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

}  // namespace linkgateway::adapters::errors
