// Typed names of upstream operations, e.g. "imiconnect.DeleteAppProfile":
// the keys of GatewayConfig.retry_policies and what wiring looks policies up
// by. Each provider defines its own once (adapters/<provider>/factory.cc) and
// lists them in its factory, so an unknown key in the config is a start-up
// error that names every valid one.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_ID_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_ID_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace linkgateway::adapters::operation {

class OperationId {
 public:
  // `provider` is the provider's config section, `rpc` the gRPC method.
  constexpr OperationId(absl::string_view provider, absl::string_view rpc)
      : provider_(provider), rpc_(rpc) {}

  absl::string_view provider() const { return provider_; }
  absl::string_view rpc() const { return rpc_; }
  // "provider.Rpc", as written in the configuration.
  std::string key() const { return absl::StrCat(provider_, ".", rpc_); }

 private:
  absl::string_view provider_;
  absl::string_view rpc_;
};

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_ID_H_
