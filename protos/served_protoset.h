// The FileDescriptorSet (with source comments) of every service the gateway
// serves, embedded at build time (//protos:served_protoset).
#ifndef LINKGATEWAY_PROTOS_SERVED_PROTOSET_H_
#define LINKGATEWAY_PROTOS_SERVED_PROTOSET_H_

#include <cstddef>

namespace linkgateway::protos {

extern unsigned char const kServedProtoset[];
extern std::size_t const kServedProtosetSize;

}  // namespace linkgateway::protos

#endif  // LINKGATEWAY_PROTOS_SERVED_PROTOSET_H_
