#include "adapters/dash_replenishment/errors.h"

namespace linkgateway::adapters::dash_replenishment {

core::ProviderErrors const& Errors() {
  static constexpr core::ProviderErrors kErrors{"dash-replenishment-service.amazon.com",
                                                "Dash Replenishment", {}};
  return kErrors;
}

}  // namespace linkgateway::adapters::dash_replenishment
