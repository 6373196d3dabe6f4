// What the server checks before dispatching: that the request's `target`
// oneof names a provider. Each provider checks its own fields (its folder's
// validation.cc, registered with its operations).
#ifndef LINKGATEWAY_SERVER_VALIDATION_H_
#define LINKGATEWAY_SERVER_VALIDATION_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace linkgateway::server {

// OK, or INVALID_ARGUMENT (field "target") listing the providers to choose
// from.
absl::Status ValidateTarget(google::protobuf::Message const& request);

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_VALIDATION_H_
