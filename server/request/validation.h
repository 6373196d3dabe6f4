// What the server checks before dispatching, for every provider alike: that
// the request's `target` oneof names a provider and its enums are known. Each provider checks its
// own fields (its folder's validation.cc, registered with its operations).
#ifndef LINKGATEWAY_SERVER_REQUEST_VALIDATION_H_
#define LINKGATEWAY_SERVER_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace linkgateway::server::request {

// OK, or INVALID_ARGUMENT (field "target") listing the providers to choose
// from.
absl::Status ValidateTarget(google::protobuf::Message const& request);

// The target key's `account`, when set, follows the name rule of accounts
// (config/accounts.h): it is checked before it is logged, audited or looked
// up. OK, or INVALID_ARGUMENT naming "<provider>.account" (the value is not
// repeated).
absl::Status ValidateAccount(google::protobuf::Message const& request);

// Closed enums are closed: proto3 keeps numbers a client's newer (or
// hostile) schema sent, and an irreversible call must never fall back to a
// default region or version. OK, or INVALID_ARGUMENT naming every enum field
// (at any depth) whose number is not a value of its enum.
absl::Status ValidateEnums(google::protobuf::Message const& request);

}  // namespace linkgateway::server::request

#endif  // LINKGATEWAY_SERVER_REQUEST_VALIDATION_H_
