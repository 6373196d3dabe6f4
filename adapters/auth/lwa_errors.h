// Login with Amazon's error vocabulary: its ErrorInfo domain and the rows
// of the status mapping for its vendor error codes.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_

#include "adapters/errors/status_mapping.h"

namespace linkgateway::core {

ProviderErrors const& LwaErrors();

}  // namespace linkgateway::core

#endif  // LINKGATEWAY_ADAPTERS_AUTH_LWA_ERRORS_H_
