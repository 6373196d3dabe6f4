#include "adapters/provider/provider_context.h"

#include "adapters/transport/metered_transport.h"

namespace linkgateway::adapters::provider {

transport::HttpTransport& ProviderContext::MeteredTransportFor(operation::OperationId operation,
                                                               absl::string_view account) {
  auto metered =
      std::make_shared<transport::MeteredTransport>(transport, observer.For(operation, account));
  resources.push_back(metered);
  return *metered;
}

}  // namespace linkgateway::adapters::provider
