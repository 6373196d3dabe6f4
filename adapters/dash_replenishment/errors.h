// Dash Replenishment's error vocabulary: its ErrorInfo domain. DRS documents
// no vendor error codes (only 400 and 500), so the HTTP table decides.
#ifndef LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_ERRORS_H_

#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::dash_replenishment {

adapters::errors::ProviderErrors const& Errors();

}  // namespace linkgateway::adapters::dash_replenishment

#endif  // LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_ERRORS_H_
