// Login with Amazon's error vocabulary: its ErrorInfo domain and the rows
// of the status mapping for its vendor error codes.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_

#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::auth {

adapters::errors::ProviderErrors const& LwaErrors();

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_
