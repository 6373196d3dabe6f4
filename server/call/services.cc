#include "server/call/services.h"

#include "server/call/stream_call.h"
#include "server/call/unary_call.h"

namespace linkgateway::server::call {

std::map<std::string, std::unique_ptr<StreamStartService>> ServicesFor(MethodSet const& methods,
                                                                       Pipeline const& pipeline) {
  std::map<std::string, std::unique_ptr<StreamStartService>> services;
  for (Method const* method : methods.All()) {
    auto& service = services[ServiceOf(method->path())];
    if (service == nullptr) service = std::make_unique<StreamStartService>();
    service->Add(method->path(), [method, &pipeline](grpc::CallbackServerContext* context) {
      return method->streaming() ? StartStreamCall(context, *method, pipeline)
                                 : StartUnaryCall(context, *method, pipeline);
    });
  }
  return services;
}

}  // namespace linkgateway::server::call
