#include "adapters/dash_replenishment/validation.h"

#include "adapters/validation/field_checker.h"

namespace linkgateway::adapters::dash_replenishment {

absl::Status ValidateDeregistration(v1::DeleteRegistrationRequest const& request) {
  auto const& device = request.dash_replenishment();
  adapters::validation::FieldChecker check("dash_replenishment.");
  check.Token("access_token", device.access_token());
  if (device.api_version() == v1::DASH_REPLENISHMENT_API_VERSION_1_0) {
    check.PathSegment("device_model_id", device.device_model_id());
    check.PathSegment("device_identifier", device.device_identifier());
  } else {
    check.Empty("device_model_id", device.device_model_id(),
                "for API version 2.0 (the token identifies the device)");
    check.Empty("device_identifier", device.device_identifier(),
                "for API version 2.0 (the token identifies the device)");
  }
  return check.Result(request);
}

absl::Status ValidateSubscriptionInfo(v1::GetSubscriptionInfoRequest const& request) {
  adapters::validation::FieldChecker check("dash_replenishment.");
  check.Token("access_token", request.dash_replenishment().access_token());
  return check.Result(request);
}

}  // namespace linkgateway::adapters::dash_replenishment
