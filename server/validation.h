// Request validation, before any provider is called.
//
// Each function checks one request against the rules its .proto comments
// state and returns INVALID_ARGUMENT naming every broken field (with a
// google.rpc.BadRequest detail), or OK. Values of secret fields never appear
// in an error.
#ifndef LINKGATEWAY_SERVER_VALIDATION_H_
#define LINKGATEWAY_SERVER_VALIDATION_H_

#include "absl/status/status.h"
#include "linkgateway/v1/app_profiles.pb.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::server {

absl::Status ValidateRequest(v1::DeleteRegistrationRequest const& request);
absl::Status ValidateRequest(v1::GetSubscriptionInfoRequest const& request);
absl::Status ValidateRequest(v1::DeleteSubscriptionRequest const& request);
absl::Status ValidateRequest(v1::DeleteAppProfileRequest const& request);
absl::Status ValidateRequest(v1::GetProfileTransactionRequest const& request);

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_VALIDATION_H_
