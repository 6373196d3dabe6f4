// Selling Partner API notifications: deleteSubscriptionById, a grantless
// operation authorised by a client-credentials Login with Amazon token in the
// x-amz-access-token header.
#ifndef LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_
#define LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_

#include <optional>
#include <string>

#include "adapters/core/access_token_source.h"
#include "adapters/core/http.h"
#include "adapters/operation.h"
#include "linkgateway/v1/subscriptions.pb.h"

namespace linkgateway::adapters {

struct SellingPartnerEndpoints {
  std::string north_america;
  std::string europe;
  std::string far_east;
  v1::SellingPartnerRegion default_region = v1::SELLING_PARTNER_REGION_NORTH_AMERICA;
};

// One attempt of DELETE /notifications/v1/subscriptions/{type}/{id}. When the
// upstream rejects the token (403 Unauthorized / MissingAuthenticationToken)
// the attempt gets a fresh token once and repeats; that is authentication,
// not a retry.
class SellingPartnerDeleteSubscription final
    : public Operation<v1::DeleteSubscriptionRequest, v1::DeleteSubscriptionResponse> {
 public:
  SellingPartnerDeleteSubscription(SellingPartnerEndpoints endpoints,
                                   core::HttpTransport& transport,
                                   core::AccessTokenSource& tokens)
      : endpoints_(std::move(endpoints)), transport_(transport), tokens_(tokens) {}

  void Start(CallContext const& context, v1::DeleteSubscriptionRequest const& request,
             Callback<v1::DeleteSubscriptionResponse> done) override;

  // After an attempt that may have succeeded, NOT_FOUND means it did.
  static std::optional<v1::DeleteSubscriptionResponse> AlreadyDone(absl::Status const& status);

 private:
  struct Call;
  void Send(std::shared_ptr<Call> call, std::string token);

  SellingPartnerEndpoints const endpoints_;
  core::HttpTransport& transport_;
  core::AccessTokenSource& tokens_;
};

}  // namespace linkgateway::adapters

#endif  // LINKGATEWAY_ADAPTERS_SELLING_PARTNER_SELLING_PARTNER_H_
