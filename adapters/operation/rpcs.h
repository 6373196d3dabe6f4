// The API's provider RPCs: the one list that the registry's tables, the
// server's services, unlink jobs and their steps are derived from. Adding
// an RPC adds one line to ProviderRpcs (and its provider's operation).
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_RPCS_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_RPCS_H_

#include <cstddef>
#include <type_traits>

#include "linkgateway/v1/app_profiles.pb.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::operation {

// One RPC, by its request and response messages (its service and name are
// found from the request's descriptor).
template <typename Req, typename Resp>
struct Rpc {
  using Request = Req;
  using Response = Resp;
};

template <typename... Rpcs>
struct RpcList {
  // f(Rpc{}) for each, in order.
  template <typename F>
  static void ForEach(F&& f) {
    (f(Rpcs{}), ...);
  }
};

using ProviderRpcs = RpcList<Rpc<v1::DeleteRegistrationRequest, v1::DeleteRegistrationResponse>,
                             Rpc<v1::GetSubscriptionInfoRequest, v1::SubscriptionInfo>,
                             Rpc<v1::DeleteSubscriptionRequest, v1::DeleteSubscriptionResponse>,
                             Rpc<v1::DeleteAppProfileRequest, v1::DeleteAppProfileResponse>,
                             Rpc<v1::GetProfileTransactionRequest, v1::ProfileTransaction>>;

// The position of the RPC taking `Request` in a list.
template <typename Request, typename List>
struct RpcIndex;
template <typename Request, typename First, typename... Rest>
struct RpcIndex<Request, RpcList<First, Rest...>> {
  static constexpr std::size_t value = std::is_same_v<Request, typename First::Request>
                                           ? 0
                                           : 1 + RpcIndex<Request, RpcList<Rest...>>::value;
};
template <typename Request>
struct RpcIndex<Request, RpcList<>> {
  static constexpr std::size_t value = 0;
};

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_RPCS_H_
