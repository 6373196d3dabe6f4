// The gateway's version, reported by linkgateway_build_info.
#ifndef LINKGATEWAY_SERVER_VERSION_H_
#define LINKGATEWAY_SERVER_VERSION_H_

namespace linkgateway::server {

inline constexpr char kVersion[] = "0.6.0";

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_VERSION_H_
