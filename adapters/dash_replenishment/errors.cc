#include "adapters/dash_replenishment/errors.h"

namespace linkgateway::adapters::dash_replenishment {

adapters::errors::ProviderErrors const& Errors() {
  static constexpr adapters::errors::ProviderErrors kErrors{
      "dash-replenishment-service.amazon.com", "Dash Replenishment", {}};
  return kErrors;
}

}  // namespace linkgateway::adapters::dash_replenishment
