// The benchmark's floor for one gRPC hop: a bare callback-API server of the
// same RPC the load generator calls (RegistrationService.DeleteRegistration),
// answering at once with an empty response. Its CPU per call is what gRPC
// alone costs a server on this machine.
//
// --shape takes it one step towards the gateway at a time, so the run can
// say what each step of the gateway's design costs before any of its work:
//   unary      gRPC's generated unary callback method (the floor)
//   stream     the method registered as the gateway registers it, a
//              bidirectional stream handed over at stream start
//              (server/call/stream_start_service.h): its own read batch,
//              the request parsed, the answer serialized
//   stream_loop  the same, answered from the libcurl transport's event loop
//              (the hop every gateway call makes: the request goes to the
//              loop, the answer comes back from it), no upstream call
//
//   echo_server [--shape=unary]   (prints "listening on 127.0.0.1:<port>")
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "adapters/transport/curl_transport.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "server/call/stream_start_service.h"

ABSL_FLAG(std::string, shape, "unary", "unary, stream or stream_loop");

namespace {

using linkgateway::adapters::transport::CurlTransport;
using linkgateway::adapters::transport::CurlTransportOptions;
using linkgateway::server::call::StreamStartService;
using linkgateway::v1::DeleteRegistrationRequest;
using linkgateway::v1::DeleteRegistrationResponse;

class Echo final : public linkgateway::v1::RegistrationService::CallbackService {
  grpc::ServerUnaryReactor* DeleteRegistration(grpc::CallbackServerContext* context,
                                               DeleteRegistrationRequest const*,
                                               DeleteRegistrationResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// One call as the gateway's UnaryCall takes it, without the gateway's work.
class StreamEcho final : public StreamStartService::Reactor {
 public:
  explicit StreamEcho(CurlTransport* loop) : loop_(loop) { StartRead(&buffer_); }

  void OnReadDone(bool ok) override {
    grpc::ProtoBufferReader reader(&buffer_);
    if (!ok || !request_.ParseFromZeroCopyStream(&reader)) {
      return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
    }
    buffer_.Clear();
    if (loop_ == nullptr) return Answer();
    loop_->RunAt(absl::Now(), [this] { Answer(); });
  }

  void OnDone() override { delete this; }

 private:
  void Answer() {
    DeleteRegistrationResponse response;
    grpc::ProtoBufferWriter writer(&buffer_, grpc::kProtoBufferWriterMaxBufferLength,
                                   static_cast<int>(response.ByteSizeLong()));
    response.SerializeToZeroCopyStream(&writer);
    StartWriteAndFinish(&buffer_, grpc::WriteOptions(), grpc::Status::OK);
  }

  CurlTransport* const loop_;
  DeleteRegistrationRequest request_;
  grpc::ByteBuffer buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string const shape = absl::GetFlag(FLAGS_shape);
  Echo echo;
  StreamStartService stream;
  std::unique_ptr<CurlTransport> loop;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  if (shape == "unary") {
    builder.RegisterService(&echo);
  } else if (shape == "stream" || shape == "stream_loop") {
    if (shape == "stream_loop") loop = std::make_unique<CurlTransport>(CurlTransportOptions{});
    stream.Add("/linkgateway.v1.RegistrationService/DeleteRegistration",
               [transport = loop.get()](grpc::CallbackServerContext*) {
                 return new StreamEcho(transport);
               });
    builder.RegisterService(&stream);
  } else {
    std::cerr << "--shape: unary, stream or stream_loop, not " << shape << std::endl;
    return 64;
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "cannot listen on 127.0.0.1" << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  server->Wait();
  return 0;
}
