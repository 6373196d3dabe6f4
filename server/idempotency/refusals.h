// The answers of a delete whose request_id cannot be checked: nothing is
// sent for it, and the caller is told why and what to do.
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_REFUSALS_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_REFUSALS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace linkgateway::server::idempotency {

// UNAVAILABLE (IDEMPOTENCY_UNAVAILABLE, RetryInfo 1 s): the records are out
// of reach (`why`); a retry with the same id is safe.
absl::Status RecordsUnreachable(std::string const& request_id, absl::string_view why);

// FAILED_PRECONDITION (REQUEST_ID_UNVERIFIABLE): the records were lost at
// `lost_at` (`why`) and the id has no record, so a delete with it may have
// been sent already; refused until `until`.
absl::Status RequestIdUnverifiable(std::string const& request_id, absl::Time lost_at,
                                   absl::Time until, absl::string_view why);

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_REFUSALS_H_
