// The benchmark's floor for one gRPC hop: a bare callback-API server of the
// same RPC the load generator calls (RegistrationService.DeleteRegistration),
// answering at once with an empty response. Its CPU per call is what gRPC
// alone costs a server on this machine.
//
//   echo_server   (prints "listening on 127.0.0.1:<port>")
#include <iostream>
#include <memory>

#include "grpcpp/grpcpp.h"
#include "linkgateway/v1/registrations.grpc.pb.h"

namespace {

class Echo final : public linkgateway::v1::RegistrationService::CallbackService {
  grpc::ServerUnaryReactor* DeleteRegistration(
      grpc::CallbackServerContext* context, linkgateway::v1::DeleteRegistrationRequest const*,
      linkgateway::v1::DeleteRegistrationResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main() {
  Echo echo;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&echo);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "cannot listen on 127.0.0.1" << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  server->Wait();
  return 0;
}
