#include "server/subscription_service.h"

#include "server/dispatch.h"

namespace linkgateway::server {

grpc::ServerUnaryReactor* SubscriptionService::GetSubscriptionInfo(
    grpc::CallbackServerContext* context, v1::GetSubscriptionInfoRequest const* request,
    v1::SubscriptionInfo* response) {
  return Dispatch(context, request, response, serving_.providers.get_subscription_info, serving_);
}

grpc::ServerUnaryReactor* SubscriptionService::DeleteSubscription(
    grpc::CallbackServerContext* context, v1::DeleteSubscriptionRequest const* request,
    v1::DeleteSubscriptionResponse* response) {
  return Dispatch(context, request, response, serving_.providers.delete_subscription, serving_);
}

}  // namespace linkgateway::server
