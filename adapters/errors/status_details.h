// Rich error details on absl::Status.
//
// Errors flow through the gateway as absl::Status. The google.rpc detail
// messages (ErrorInfo, BadRequest, RetryInfo, ...) ride along as payloads keyed
// by their type URL, so any layer can add one and the server turns them into
// the `grpc-status-details-bin` trailer without knowing where they came from.
#ifndef LINKGATEWAY_ADAPTERS_ERRORS_STATUS_DETAILS_H_
#define LINKGATEWAY_ADAPTERS_ERRORS_STATUS_DETAILS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "google/rpc/status.pb.h"

namespace linkgateway::adapters::errors {

// The ErrorInfo domain of errors the gateway raises itself.
inline constexpr absl::string_view kGatewayDomain = "linkgateway";

// Attaches `detail` (any google.rpc detail message) to `status`, replacing a
// detail of the same type. No-op on an OK status.
void AttachDetail(absl::Status& status, google::protobuf::Message const& detail);

// Adds a google.rpc.ErrorInfo. `reason` is UPPER_SNAKE_CASE.
absl::Status WithErrorInfo(absl::Status status, absl::string_view reason,
                           absl::string_view domain,
                           std::map<std::string, std::string> metadata = {});

// One field that broke a rule: `field` is a path such as
// "sms_voice.registration_id", `description` the rule it broke.
struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT naming every violation, with google.rpc.BadRequest and an
// ErrorInfo (reason INVALID_ARGUMENT, domain linkgateway).
absl::Status InvalidArgument(absl::string_view what,
                             std::vector<FieldViolation> const& violations);

// The details attached to `status`, as google.protobuf.Any, in a fixed order
// (absl::Status visits its payloads in an unspecified one): ErrorInfo,
// BadRequest, RetryInfo, RequestInfo, then any other type by type URL.
std::vector<google::protobuf::Any> Details(absl::Status const& status);

// `message` in protobuf's deterministic serialization (map entries sorted by
// key), so the same error has the same bytes on every run.
std::string SerializeDeterministically(google::protobuf::Message const& message);

// `status` as a google.rpc.Status (code, message and details).
google::rpc::Status ToRpcStatus(absl::Status const& status);

// The reverse: a google.rpc.Status (e.g. a recorded answer) as absl::Status
// with its details attached.
absl::Status FromRpcStatus(google::rpc::Status const& rpc);

// Finds a detail of type T; false when absent or unparsable.
template <typename T>
bool FindDetail(absl::Status const& status, T& out) {
  for (auto const& any : Details(status)) {
    if (any.Is<T>() && any.UnpackTo(&out)) return true;
  }
  return false;
}

}  // namespace linkgateway::adapters::errors

#endif  // LINKGATEWAY_ADAPTERS_ERRORS_STATUS_DETAILS_H_
