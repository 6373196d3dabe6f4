// The provider RPCs as methods of the pipeline: one per entry of
// adapters::operation::ProviderRpcs, each dispatching to the operation its
// request's target names in the registry.
#ifndef LINKGATEWAY_SERVER_METHODS_PROVIDER_METHODS_H_
#define LINKGATEWAY_SERVER_METHODS_PROVIDER_METHODS_H_

#include <string>

#include "adapters/operation/provider_registry.h"
#include "google/protobuf/descriptor.h"
#include "server/call/method_set.h"

namespace linkgateway::server::methods {

// Adds every provider RPC to `methods`; `registry` must outlive them.
void AddProviderMethods(adapters::operation::ProviderRegistry const& registry,
                        call::MethodSet& methods);

// "/package.Service/Method" of the RPC that takes `request` (its file's
// services), or "".
std::string PathOf(google::protobuf::Descriptor const* request);

}  // namespace linkgateway::server::methods

#endif  // LINKGATEWAY_SERVER_METHODS_PROVIDER_METHODS_H_
