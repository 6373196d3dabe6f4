// linkgateway.v1.RegistrationService on the gRPC callback API.
#ifndef LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_
#define LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_

#include "server/serving.h"
#include "linkgateway/v1/registrations.grpc.pb.h"

namespace linkgateway::server {

class RegistrationService final : public v1::RegistrationService::CallbackService {
 public:
  explicit RegistrationService(Serving const& serving) : serving_(serving) {}

  grpc::ServerUnaryReactor* DeleteRegistration(
      grpc::CallbackServerContext* context, v1::DeleteRegistrationRequest const* request,
      v1::DeleteRegistrationResponse* response) override;

 private:
  Serving const& serving_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_
