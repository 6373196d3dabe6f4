// IMIconnect's request rules (the API's field comments), checked before
// anything is sent.
#ifndef LINKGATEWAY_ADAPTERS_IMICONNECT_VALIDATION_H_
#define LINKGATEWAY_ADAPTERS_IMICONNECT_VALIDATION_H_

#include "absl/status/status.h"
#include "linkgateway/v1/app_profiles.pb.h"

namespace linkgateway::adapters::imiconnect {

absl::Status ValidateDeleteAppProfile(v1::DeleteAppProfileRequest const& request);
absl::Status ValidateGetProfileTransaction(v1::GetProfileTransactionRequest const& request);

}  // namespace linkgateway::adapters::imiconnect

#endif  // LINKGATEWAY_ADAPTERS_IMICONNECT_VALIDATION_H_
