#include "adapters/selling_partner/selling_partner.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/errors/upstream_text.h"
#include "adapters/selling_partner/errors.h"
#include "adapters/transport/json.h"
#include "adapters/transport/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::adapters::selling_partner {
namespace {

// SP-API errors: {"errors":[{"code","message","details"?}]}. The first one
// names the error; all of them travel on in ErrorInfo.metadata.
absl::Status SellingPartnerError(adapters::transport::HttpResponse const& response) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(Errors(), response, absl::Now());
  google::protobuf::Struct json;
  if (google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) {
    auto errors = json.fields().find("errors");
    if (errors != json.fields().end() && errors->second.has_list_value() &&
        errors->second.list_value().values_size() > 0) {
      auto const& first = errors->second.list_value().values(0).struct_value().fields();
      error.vendor_code = adapters::transport::StringField(first, "code");
      error.message =
          adapters::errors::TrimmedText(adapters::transport::StringField(first, "message"));
      if (auto details = adapters::transport::StringField(first, "details"); !details.empty()) {
        error.metadata["upstreamDetails"] = adapters::errors::TrimmedText(details);
      }
      std::string all;
      if (google::protobuf::util::MessageToJsonString(errors->second, &all).ok()) {
        error.metadata["upstreamErrors"] = adapters::errors::TrimmedText(all);
      }
    }
  } else {
    error.message = adapters::errors::TrimmedText(response.body);
  }
  // AWS's own front end names some errors only in this header.
  if (error.vendor_code.empty()) {
    error.vendor_code =
        std::string(absl::StripSuffix(response.Header("x-amzn-errortype"), "Exception"));
  }
  if (auto limit = response.Header("x-amzn-ratelimit-limit"); !limit.empty()) {
    error.metadata["rateLimit"] = limit;
  }
  return adapters::errors::MapUpstreamError(error);
}

std::string const& Endpoint(Endpoints const& endpoints, v1::SellingPartnerRegion region) {
  if (region == v1::SELLING_PARTNER_REGION_UNSPECIFIED) region = endpoints.default_region;
  switch (region) {
    case v1::SELLING_PARTNER_REGION_EUROPE:
      return endpoints.europe;
    case v1::SELLING_PARTNER_REGION_FAR_EAST:
      return endpoints.far_east;
    default:
      return endpoints.north_america;
  }
}

// A 403 that refuses the grantless token (named in errors[0].code or, from
// AWS's front end, only in x-amzn-ErrorType): `status` is its mapped error.
bool TokenRejected(adapters::transport::HttpResponse const& response, absl::Status const& status) {
  if (response.status != 403) return false;
  google::rpc::ErrorInfo info;
  if (!adapters::errors::FindDetail(status, info)) return false;
  auto code = info.metadata().find("upstreamCode");
  return code != info.metadata().end() &&
         (code->second == "Unauthorized" || code->second == "MissingAuthenticationToken");
}

}  // namespace

void DeleteSubscription::Start(adapters::operation::CallContext const& context,
                               v1::DeleteSubscriptionRequest const& request,
                               adapters::operation::Callback<v1::DeleteSubscriptionResponse> done) {
  auto const& key = request.selling_partner();
  auto url = adapters::transport::JoinPath(
      Endpoint(endpoints_, key.region()),
      {"notifications", "v1", "subscriptions", key.notification_type(), key.subscription_id()});
  if (!url.ok()) return std::move(done)(url.status());
  tokens_.GetToken(context.deadline, context.cancellation,
                   [this, context, url = *std::move(url),
                    done = std::move(done)](absl::StatusOr<std::string> token) mutable {
                     if (!token.ok()) return std::move(done)(token.status());
                     Send(context, std::move(url), *std::move(token), std::move(done));
                   });
}

void DeleteSubscription::Send(adapters::operation::CallContext const& context, std::string url,
                              std::string token,
                              adapters::operation::Callback<v1::DeleteSubscriptionResponse> done) {
  adapters::transport::HttpRequest http;
  http.method = "DELETE";
  http.url = std::move(url);
  http.headers = {
      {"x-amz-access-token", token},
      {"x-amz-date", absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone())},
      {"Accept", "application/json"}};
  http.deadline = context.deadline;
  http.trace = context.trace;
  transport_.Send(
      std::move(http), context.cancellation,
      [this, token = std::move(token),
       done = std::move(done)](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        if (response->status == 200) {
          v1::DeleteSubscriptionResponse result;
          auto* deletion = result.mutable_selling_partner();
          deletion->set_upstream_request_id(adapters::errors::SafeText(
              response->Header("x-amzn-requestid"), adapters::errors::kMaxUpstreamIdBytes));
          deletion->set_rate_limit(adapters::errors::SafeText(
              response->Header("x-amzn-ratelimit-limit"), adapters::errors::kMaxUpstreamIdBytes));
          return std::move(done)(std::move(result));
        }
        absl::Status status = SellingPartnerError(*response);
        if (TokenRejected(*response, status)) {
          // The token was refused before anything was applied: drop it, and let
          // the retry decorator repeat the attempt once with a fresh one.
          tokens_.Invalidate(token);
          adapters::errors::SetRetryClass(status,
                                          adapters::errors::RetryClass::kRefreshedCredentials);
          adapters::errors::MarkNotSent(status);
        }
        std::move(done)(std::move(status));
      });
}

std::optional<absl::StatusOr<v1::DeleteSubscriptionResponse>> DeleteSubscription::AlreadyDone(
    absl::Status const& status) {
  if (status.code() != absl::StatusCode::kNotFound) return std::nullopt;
  v1::DeleteSubscriptionResponse response;
  response.set_already_deleted(true);
  response.mutable_selling_partner();
  return response;
}

}  // namespace linkgateway::adapters::selling_partner
