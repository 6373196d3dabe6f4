// A grpc::Service whose calls gRPC hands over as soon as their stream
// starts, instead of after the request message has arrived.
//
// gRPC 1.51 holds a unary call in its core until the request message comes,
// and enforces SETTINGS_MAX_CONCURRENT_STREAMS only once the client has
// acknowledged it: a client that opens thousands of streams, never sends
// their messages and never acknowledges SETTINGS costs the gateway memory
// without bound (measured: 20,000 such streams, ~250 MB, again with every
// round). Registering the API's unary methods as bidirectional (the same
// frames on the wire, as gRPC's own "streamed unary" does) makes gRPC create
// the reactor at stream start, where the gateway counts and refuses streams
// per connection and in total before any of them can pile up.
#ifndef LINKGATEWAY_SERVER_CALL_STREAM_START_SERVICE_H_
#define LINKGATEWAY_SERVER_CALL_STREAM_START_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"

namespace linkgateway::server::call {

class StreamStartService : public grpc::Service {
 public:
  using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;
  using Factory = std::function<Reactor*(grpc::CallbackServerContext*)>;

  // Serves `full_name` ("/package.Service/Method") with reactors from
  // `factory`. All methods of one instance must belong to one service.
  void Add(std::string full_name, Factory factory);

 private:
  std::vector<std::unique_ptr<std::string>> names_;  // gRPC keeps the char*
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_STREAM_START_SERVICE_H_
