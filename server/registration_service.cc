#include "server/registration_service.h"

#include "server/dispatch.h"

namespace linkgateway::server {

grpc::ServerUnaryReactor* RegistrationService::DeleteRegistration(
    grpc::CallbackServerContext* context, v1::DeleteRegistrationRequest const* request,
    v1::DeleteRegistrationResponse* response) {
  return Dispatch(context, request, response, serving_.providers.delete_registration, serving_);
}

}  // namespace linkgateway::server
