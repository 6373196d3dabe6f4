#include "server/subscription_service.h"

#include "server/dispatch.h"

namespace linkgateway::server {

grpc::ServerUnaryReactor* SubscriptionService::GetSubscriptionInfo(
    grpc::CallbackServerContext* context, v1::GetSubscriptionInfoRequest const* request,
    v1::SubscriptionInfo* response) {
  return Dispatch(context, request, response, providers_.get_subscription_info,
                  default_deadline_);
}

grpc::ServerUnaryReactor* SubscriptionService::DeleteSubscription(
    grpc::CallbackServerContext* context, v1::DeleteSubscriptionRequest const* request,
    v1::DeleteSubscriptionResponse* response) {
  return Dispatch(context, request, response, providers_.delete_subscription,
                  default_deadline_);
}

}  // namespace linkgateway::server
