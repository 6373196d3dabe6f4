// linkgateway.v1.SubscriptionService on the gRPC callback API.
#ifndef LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_
#define LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"

namespace linkgateway::server {

class SubscriptionService final : public v1::SubscriptionService::CallbackService {
 public:
  SubscriptionService(adapters::ProviderRegistry const& providers,
                      absl::Duration default_deadline)
      : providers_(providers), default_deadline_(default_deadline) {}

  grpc::ServerUnaryReactor* GetSubscriptionInfo(
      grpc::CallbackServerContext* context, v1::GetSubscriptionInfoRequest const* request,
      v1::SubscriptionInfo* response) override;

  grpc::ServerUnaryReactor* DeleteSubscription(
      grpc::CallbackServerContext* context, v1::DeleteSubscriptionRequest const* request,
      v1::DeleteSubscriptionResponse* response) override;

 private:
  adapters::ProviderRegistry const& providers_;
  absl::Duration default_deadline_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_SUBSCRIPTION_SERVICE_H_
