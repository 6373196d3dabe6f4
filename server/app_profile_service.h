// linkgateway.v1.AppProfileService on the gRPC callback API.
#ifndef LINKGATEWAY_SERVER_APP_PROFILE_SERVICE_H_
#define LINKGATEWAY_SERVER_APP_PROFILE_SERVICE_H_

#include "server/serving.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"

namespace linkgateway::server {

class AppProfileService final : public v1::AppProfileService::CallbackService {
 public:
  explicit AppProfileService(Serving const& serving) : serving_(serving) {}

  grpc::ServerUnaryReactor* DeleteAppProfile(
      grpc::CallbackServerContext* context, v1::DeleteAppProfileRequest const* request,
      v1::DeleteAppProfileResponse* response) override;

  grpc::ServerUnaryReactor* GetProfileTransaction(
      grpc::CallbackServerContext* context, v1::GetProfileTransactionRequest const* request,
      v1::ProfileTransaction* response) override;

 private:
  Serving const& serving_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_APP_PROFILE_SERVICE_H_
