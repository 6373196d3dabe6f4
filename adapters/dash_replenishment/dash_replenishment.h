// Amazon Dash Replenishment: device deregistration (API 1.0 and 2.0) and slot
// subscription info (result 1.0 and 2.0). The caller supplies the customer's
// Login with Amazon token per request; the gateway holds no DRS credentials.
#ifndef LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_DASH_REPLENISHMENT_H_
#define LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_DASH_REPLENISHMENT_H_

#include <optional>
#include <string>
#include <utility>

#include "adapters/operation/operation.h"
#include "adapters/transport/http.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::dash_replenishment {

// One attempt of DELETE /registration (2.0) or
// DELETE /deviceModels/{model}/devices/{device}/registration (1.0).
class Deregistration final : public adapters::operation::Operation<v1::DeleteRegistrationRequest,
                                                                   v1::DeleteRegistrationResponse> {
 public:
  Deregistration(std::string endpoint, adapters::transport::HttpTransport& transport)
      : endpoint_(std::move(endpoint)), transport_(transport) {}

  void Start(adapters::operation::CallContext const& context,
             v1::DeleteRegistrationRequest const& request,
             adapters::operation::Callback<v1::DeleteRegistrationResponse> done) override;

  // After an attempt that may have succeeded, a 400 proves nothing: the
  // token may have died with that deregistration, or never been valid. The
  // outcome is reported unknown (adapters::errors::OutcomeUnknown), never OK.
  static std::optional<absl::StatusOr<v1::DeleteRegistrationResponse>> AlreadyDone(
      absl::Status const& status);

 private:
  std::string const endpoint_;
  adapters::transport::HttpTransport& transport_;
};

// One attempt of GET /subscriptionInfo.
class GetSubscriptionInfo final
    : public adapters::operation::Operation<v1::GetSubscriptionInfoRequest, v1::SubscriptionInfo> {
 public:
  GetSubscriptionInfo(std::string endpoint, adapters::transport::HttpTransport& transport)
      : endpoint_(std::move(endpoint)), transport_(transport) {}

  void Start(adapters::operation::CallContext const& context,
             v1::GetSubscriptionInfoRequest const& request,
             adapters::operation::Callback<v1::SubscriptionInfo> done) override;

 private:
  std::string const endpoint_;
  adapters::transport::HttpTransport& transport_;
};

}  // namespace linkgateway::adapters::dash_replenishment

#endif  // LINKGATEWAY_ADAPTERS_DASH_REPLENISHMENT_DASH_REPLENISHMENT_H_
