// Selling Partner API notifications: deleteSubscriptionById, a grantless
// operation authorised by a client-credentials Login with Amazon token in the
// x-amz-access-token header.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_

#include <optional>
#include <string>
#include <utility>

#include "adapters/auth/access_token_source.h"
#include "adapters/operation/operation.h"
#include "adapters/transport/http.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters::selling_partner {

struct Endpoints {
  std::string north_america;
  std::string europe;
  std::string far_east;
  v1::SellingPartnerRegion default_region = v1::SELLING_PARTNER_REGION_NORTH_AMERICA;
};

// One attempt of DELETE /notifications/v1/subscriptions/{type}/{id}. When the
// upstream rejects the token (403 Unauthorized / MissingAuthenticationToken)
// the token is dropped and the attempt fails with RetryClass
// kRefreshedCredentials: the retry decorator repeats it once, through the
// rate limiter and within the attempt budget, with a fresh token.
class DeleteSubscription final
    : public adapters::operation::Operation<v1::DeleteSubscriptionRequest,
                                            v1::DeleteSubscriptionResponse> {
 public:
  DeleteSubscription(Endpoints endpoints, adapters::transport::HttpTransport& transport,
                     adapters::auth::AccessTokenSource& tokens)
      : endpoints_(std::move(endpoints)), transport_(transport), tokens_(tokens) {}

  void Start(adapters::operation::CallContext const& context,
             v1::DeleteSubscriptionRequest const& request,
             adapters::operation::Callback<v1::DeleteSubscriptionResponse> done) override;

  // Not ready while Login with Amazon rejects the gateway's client
  // credentials.
  absl::Status Preflight() const override { return tokens_.CredentialsAccepted(); }

  // After an attempt that may have succeeded, NOT_FOUND means it did.
  static std::optional<absl::StatusOr<v1::DeleteSubscriptionResponse>> AlreadyDone(
      absl::Status const& status);

 private:
  void Send(adapters::operation::CallContext const& context, std::string url, std::string token,
            adapters::operation::Callback<v1::DeleteSubscriptionResponse> done);

  Endpoints const endpoints_;
  adapters::transport::HttpTransport& transport_;
  adapters::auth::AccessTokenSource& tokens_;
};

}  // namespace linkgateway::adapters::selling_partner

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_
