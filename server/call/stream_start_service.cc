#include "server/call/stream_start_service.h"

#include <utility>

#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/impl/rpc_service_method.h"

namespace linkgateway::server::call {

void StreamStartService::Add(std::string full_name, Factory factory) {
  names_.push_back(std::make_unique<std::string>(std::move(full_name)));
  int index = static_cast<int>(names_.size()) - 1;
  AddMethod(new grpc::internal::RpcServiceMethod(
      names_.back()->c_str(), grpc::internal::RpcMethod::BIDI_STREAMING, nullptr));
  MarkMethodRawCallback(index,
                        new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                            std::move(factory)));
}

}  // namespace linkgateway::server::call
