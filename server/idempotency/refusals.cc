#include "server/idempotency/refusals.h"

#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::server::idempotency {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::Status RecordsUnreachable(std::string const& request_id, absl::string_view why) {
  absl::Status status = adapters::errors::WithErrorInfo(
      absl::UnavailableError(absl::StrCat(
          "the records of request_id ", request_id, " cannot be checked (", why,
          "); nothing was sent: retry with the same request_id")),
      adapters::errors::reason::kIdempotencyUnavailable, adapters::errors::kGatewayDomain,
      {{"requestId", request_id}});
  adapters::errors::SetRetryDelay(status, absl::Seconds(1));
  return status;
}

absl::Status RequestIdUnverifiable(std::string const& request_id, absl::Time lost_at,
                                   absl::Time until, absl::string_view why) {
  return adapters::errors::WithErrorInfo(
      absl::FailedPreconditionError(absl::StrCat(
          "request_id ", request_id, " cannot be vouched for: the gateway's request_id records "
          "were lost at ", Rfc3339(lost_at), " (", why, ") and this id has none, so a delete "
          "with it may have been sent already; nothing was sent. Check the target at the "
          "provider; until ", Rfc3339(until),
          " only ids recorded since are accepted (a delete without request_id is not "
          "deduplicated)")),
      adapters::errors::reason::kRequestIdUnverifiable, adapters::errors::kGatewayDomain,
      {{"requestId", request_id}, {"recordsLostAt", Rfc3339(lost_at)},
       {"refusedUntil", Rfc3339(until)}});
}

}  // namespace linkgateway::server::idempotency
