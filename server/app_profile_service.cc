#include "server/app_profile_service.h"

#include "server/dispatch.h"

namespace linkgateway::server {

grpc::ServerUnaryReactor* AppProfileService::DeleteAppProfile(
    grpc::CallbackServerContext* context, v1::DeleteAppProfileRequest const* request,
    v1::DeleteAppProfileResponse* response) {
  return Dispatch(context, request, response, serving_.providers.delete_app_profile, serving_);
}

grpc::ServerUnaryReactor* AppProfileService::GetProfileTransaction(
    grpc::CallbackServerContext* context, v1::GetProfileTransactionRequest const* request,
    v1::ProfileTransaction* response) {
  return Dispatch(context, request, response, serving_.providers.get_profile_transaction, serving_);
}

}  // namespace linkgateway::server
