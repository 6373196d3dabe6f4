// The gRPC services a MethodSet is served as: one StreamStartService per
// service its methods name, each method's stream handed to the unary or the
// streaming reactor, both over the one pipeline.
#ifndef LINKGATEWAY_SERVER_CALL_SERVICES_H_
#define LINKGATEWAY_SERVER_CALL_SERVICES_H_

#include <map>
#include <memory>
#include <string>

#include "server/call/method_set.h"
#include "server/call/pipeline.h"
#include "server/call/stream_start_service.h"

namespace linkgateway::server::call {

// By service full name; `methods` and `pipeline` must outlive them.
std::map<std::string, std::unique_ptr<StreamStartService>> ServicesFor(MethodSet const& methods,
                                                                       Pipeline const& pipeline);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_SERVICES_H_
