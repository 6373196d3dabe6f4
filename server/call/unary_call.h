// A caller's unary RPC: one request in, one answer out. Admitted at stream
// start (admission.h), then run through the pipeline (pipeline.h) with the
// caller's deadline and cancellation; the answer leaves once the call's
// audit record (audited methods) is on disk.
#ifndef LINKGATEWAY_SERVER_CALL_UNARY_CALL_H_
#define LINKGATEWAY_SERVER_CALL_UNARY_CALL_H_

#include "grpcpp/server_context.h"
#include "server/call/method.h"
#include "server/call/pipeline.h"
#include "server/call/stream_start_service.h"

namespace linkgateway::server::call {

// The reactor for a unary call of `method` whose stream just started.
StreamStartService::Reactor* StartUnaryCall(grpc::CallbackServerContext* context,
                                            Method const& method, Pipeline const& pipeline);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_UNARY_CALL_H_
