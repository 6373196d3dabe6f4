// linkgateway.v1.RegistrationService on the gRPC callback API.
#ifndef LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_
#define LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_

#include "absl/time/time.h"
#include "adapters/operation/provider_registry.h"
#include "linkgateway/v1/registrations.grpc.pb.h"

namespace linkgateway::server {

class RegistrationService final : public v1::RegistrationService::CallbackService {
 public:
  RegistrationService(adapters::ProviderRegistry const& providers,
                      absl::Duration default_deadline)
      : providers_(providers), default_deadline_(default_deadline) {}

  grpc::ServerUnaryReactor* DeleteRegistration(
      grpc::CallbackServerContext* context, v1::DeleteRegistrationRequest const* request,
      v1::DeleteRegistrationResponse* response) override;

 private:
  adapters::ProviderRegistry const& providers_;
  absl::Duration default_deadline_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_REGISTRATION_SERVICE_H_
