// What the dispatch path does with a delete's request_id (AIP-155): the key
// and fingerprint it records under, the record of an outcome, and the
// answers built from a record or a refusal.
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_RECORDS_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_RECORDS_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "linkgateway/state/v1/idempotency.pb.h"
#include "server/idempotency/idempotency_store.h"

namespace linkgateway::server::idempotency {

// The request's `request_id` field, or "" (also for requests without one).
std::string IdempotencyIdOf(google::protobuf::Message const& request);

// Hex SHA-256 of the request's deterministic serialization with request_id
// cleared: the same request gives the same fingerprint whatever its id.
std::string FingerprintOf(google::protobuf::Message const& request);

// OK, or INVALID_ARGUMENT naming request_id when it is set and not a UUID.
absl::Status ValidateRequestId(google::protobuf::Message const& request);

// The record of a call's outcome: the response when OK, else the status
// (code, message, details) the caller was answered.
linkgateway::state::v1::IdempotencyRecord RecordOf(std::string fingerprint,
                                                   absl::Status const& status,
                                                   google::protobuf::Message const* response);

// A recorded error, as it was answered, with ErrorInfo.metadata["replayed"].
absl::Status ReplayedStatus(linkgateway::state::v1::IdempotencyRecord const& record);

// Fills `response` from a recorded success and sets its `replayed` field;
// false when the record cannot be read.
bool ReplayedResponse(linkgateway::state::v1::IdempotencyRecord const& record,
                      google::protobuf::Message& response);

// ABORTED with RetryInfo (1 s): the first call with this id still runs.
absl::Status RequestInProgress(std::string const& request_id);
// INVALID_ARGUMENT: the id was used for a different request (`what`, e.g.
// "DeleteRegistrationRequest").
absl::Status RequestIdReused(std::string const& what, std::string const& request_id);

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_RECORDS_H_
