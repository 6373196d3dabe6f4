#include "server/app_profile_service.h"

#include "server/dispatch.h"

namespace linkgateway::server {

grpc::ServerUnaryReactor* AppProfileService::DeleteAppProfile(
    grpc::CallbackServerContext* context, v1::DeleteAppProfileRequest const* request,
    v1::DeleteAppProfileResponse* response) {
  return Dispatch(context, request, response, providers_.delete_app_profile,
                  default_deadline_);
}

grpc::ServerUnaryReactor* AppProfileService::GetProfileTransaction(
    grpc::CallbackServerContext* context, v1::GetProfileTransactionRequest const* request,
    v1::ProfileTransaction* response) {
  return Dispatch(context, request, response, providers_.get_profile_transaction,
                  default_deadline_);
}

}  // namespace linkgateway::server
