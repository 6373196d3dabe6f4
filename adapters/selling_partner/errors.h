// The Selling Partner API's error vocabulary: its ErrorInfo domain and the rows
// of the status mapping for its vendor error codes.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_ERRORS_H_

#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::selling_partner {

adapters::errors::ProviderErrors const& Errors();

}  // namespace linkgateway::adapters::selling_partner

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_ERRORS_H_
