// A caller's server-streaming RPC (e.g. WatchUnlink): admitted like every
// call, its request checked by the pipeline's admission stages, then the
// method's messages are written as they come, until the last one or until
// the caller goes away. A stream holds its connection's stream slot, not
// one of the gateway's calls in flight.
#ifndef LINKGATEWAY_SERVER_CALL_STREAM_CALL_H_
#define LINKGATEWAY_SERVER_CALL_STREAM_CALL_H_

#include "grpcpp/server_context.h"
#include "server/call/method.h"
#include "server/call/pipeline.h"
#include "server/call/stream_start_service.h"

namespace linkgateway::server::call {

StreamStartService::Reactor* StartStreamCall(grpc::CallbackServerContext* context,
                                             Method const& method, Pipeline const& pipeline);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_STREAM_CALL_H_
