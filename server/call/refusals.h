// The gateway's own refusals that more than one method gives, built in one
// place so each reads the same wherever it comes from.
#ifndef LINKGATEWAY_SERVER_CALL_REFUSALS_H_
#define LINKGATEWAY_SERVER_CALL_REFUSALS_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace linkgateway::server::call {

// PERMISSION_DENIED: `principal` ("" = anonymous) may not call `method`
// (for `provider` and its `account`, when the call names them), with an
// ErrorInfo.
absl::Status NotAllowed(std::string const& principal, std::string const& method,
                        std::string const& provider, std::string const& account = "");

// INVALID_ARGUMENT naming "<provider>.account": the provider has no account
// of that name (which accounts it has is not said).
absl::Status UnknownAccount(google::protobuf::Message const& request);

// UNIMPLEMENTED naming the provider (the request's target field) that no
// adapter serves for this request yet.
absl::Status ProviderNotServed(google::protobuf::Message const& request);

// `status` about a part of a request (e.g. "targets[2]"): its message and
// its BadRequest field violations prefixed with `field`; `status` as it is
// when `field` is empty.
absl::Status Within(std::string const& field, absl::Status status);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_REFUSALS_H_
