// linkgateway.v1.SubscriptionService on the gRPC callback API.
#ifndef LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_
#define LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_

#include "server/serving.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"

namespace linkgateway::server {

class SubscriptionService final : public v1::SubscriptionService::CallbackService {
 public:
  explicit SubscriptionService(Serving const& serving) : serving_(serving) {}

  grpc::ServerUnaryReactor* GetSubscriptionInfo(
      grpc::CallbackServerContext* context, v1::GetSubscriptionInfoRequest const* request,
      v1::SubscriptionInfo* response) override;

  grpc::ServerUnaryReactor* DeleteSubscription(
      grpc::CallbackServerContext* context, v1::DeleteSubscriptionRequest const* request,
      v1::DeleteSubscriptionResponse* response) override;

 private:
  Serving const& serving_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_
