#include "adapters/dash_replenishment/dash_replenishment.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/dash_replenishment/errors.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/errors/upstream_text.h"
#include "adapters/transport/json.h"
#include "adapters/transport/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::adapters::dash_replenishment {
namespace {

constexpr char kPrefix[] = "com.amazon.dash.replenishment.";
constexpr char kDeregisterResult[] = "com.amazon.dash.replenishment.DrsDeregisterResult@1.0";

adapters::transport::HttpRequest BaseRequest(std::string method, std::string url,
                                             std::string const& token, std::string type_version,
                                             std::string accept_type,
                                             adapters::operation::CallContext const& context) {
  adapters::transport::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = {{"Authorization", absl::StrCat("Bearer ", token)},
                     {"x-amzn-type-version", std::move(type_version)},
                     {"x-amzn-accept-type", std::move(accept_type)},
                     {"Accept", "application/json"}};
  request.deadline = context.deadline;
  request.trace = context.trace;
  return request;
}

// DRS documents only 400 and 500, with a "best effort" body: pass on its
// message field, or the text itself.
absl::Status DrsError(adapters::transport::HttpResponse const& response) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(Errors(), response, absl::Now());
  google::protobuf::Struct json;
  if (google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) {
    for (char const* key : {"message", "Message", "error_description", "error"}) {
      if (auto text = adapters::transport::StringField(json.fields(), key); !text.empty()) {
        error.message = adapters::errors::TrimmedText(text);
        break;
      }
    }
  } else {
    error.message = adapters::errors::TrimmedText(response.body);
  }
  return adapters::errors::MapUpstreamError(error);
}

absl::Status Malformed(absl::string_view what) {
  return adapters::errors::MalformedResponse(Errors(), what);
}

}  // namespace

void Deregistration::Start(adapters::operation::CallContext const& context,
                           v1::DeleteRegistrationRequest const& request,
                           adapters::operation::Callback<v1::DeleteRegistrationResponse> done) {
  auto const& device = request.dash_replenishment();
  bool v1_0 = device.api_version() == v1::DASH_REPLENISHMENT_API_VERSION_1_0;
  absl::StatusOr<std::string> url =
      v1_0 ? adapters::transport::JoinPath(endpoint_,
                                           {"deviceModels", device.device_model_id(), "devices",
                                            device.device_identifier(), "registration"})
           : adapters::transport::JoinPath(endpoint_, {"registration"});
  if (!url.ok()) return std::move(done)(url.status());
  auto http = BaseRequest("DELETE", *std::move(url), device.access_token(),
                          absl::StrCat(kPrefix, "DrsDeregisterInput@", v1_0 ? "1.0" : "2.0"),
                          kDeregisterResult, context);
  transport_.Send(
      std::move(http), context.cancellation,
      [done = std::move(done)](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        if (response->status != 200) return std::move(done)(DrsError(*response));
        v1::DeleteRegistrationResponse result;
        result.mutable_dash_replenishment()->set_result_type_version(adapters::errors::SafeText(
            response->Header("x-amzn-type-version"), adapters::errors::kMaxUpstreamIdBytes));
        std::move(done)(std::move(result));
      });
}

std::optional<absl::StatusOr<v1::DeleteRegistrationResponse>> Deregistration::AlreadyDone(
    absl::Status const& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return std::nullopt;
  // DRS answers 400 both for a token that died with a successful
  // deregistration and for one that was never valid: nothing proves which.
  return adapters::errors::OutcomeUnknown(
      status,
      "Dash Replenishment answered 400 after an attempt that may have deregistered "
      "the device; a 400 cannot tell a token consumed by that deregistration from one "
      "that never worked");
}

void GetSubscriptionInfo::Start(adapters::operation::CallContext const& context,
                                v1::GetSubscriptionInfoRequest const& request,
                                adapters::operation::Callback<v1::SubscriptionInfo> done) {
  auto const& key = request.dash_replenishment();
  bool v1_0 = key.result_version() == v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0;
  auto url = adapters::transport::JoinPath(endpoint_, {"subscriptionInfo"});
  if (!url.ok()) return std::move(done)(url.status());
  auto http = BaseRequest("GET", *std::move(url), key.access_token(),
                          absl::StrCat(kPrefix, "DrsSubscriptionInfoInput@1.0"),
                          absl::StrCat(kPrefix, "DrsSubscriptionInfoResult@", v1_0 ? "1.0" : "2.0"),
                          context);
  transport_.Send(
      std::move(http), context.cancellation,
      [done = std::move(done),
       v1_0](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        if (response->status != 200) return std::move(done)(DrsError(*response));

        google::protobuf::Struct json;
        if (!google::protobuf::util::JsonStringToMessage(response->body, &json).ok()) {
          return std::move(done)(Malformed("the subscription info is not JSON"));
        }
        auto slots = json.fields().find("slotsSubscriptionStatus");
        if (slots == json.fields().end() || !slots->second.has_struct_value()) {
          return std::move(done)(Malformed("the subscription info has no slotsSubscriptionStatus"));
        }
        v1::SubscriptionInfo info;
        auto* drs = info.mutable_dash_replenishment();
        // The answer's own type version says which shape it is; without one,
        // the version asked for.
        std::string answered = response->Header("x-amzn-type-version");
        bool answered_v2 = answered.empty() ? !v1_0 : absl::EndsWith(answered, "@2.0");
        drs->set_result_version(answered_v2 ? v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_2_0
                                            : v1::DASH_REPLENISHMENT_SUBSCRIPTION_INFO_VERSION_1_0);
        for (auto const& [slot_id, value] : slots->second.struct_value().fields()) {
          v1::DashReplenishmentSlot& slot = (*drs->mutable_slots())[slot_id];
          if (value.has_bool_value()) {  // result 1.0: slot -> subscribed
            slot.set_subscribed(value.bool_value());
            continue;
          }
          if (!value.has_struct_value()) {
            return std::move(done)(Malformed(absl::StrCat("slot ", slot_id, " has no status")));
          }
          auto const& fields = value.struct_value().fields();
          if (auto it = fields.find("subscribed"); it != fields.end()) {
            slot.set_subscribed(it->second.bool_value());
          }
          auto products = fields.find("productInfoList");
          if (products == fields.end()) continue;
          for (auto const& item : products->second.list_value().values()) {
            auto const& product = item.struct_value().fields();
            auto* out = slot.add_products();
            if (auto it = product.find("asin"); it != product.end()) {
              out->set_asin(it->second.string_value());
            }
            if (auto it = product.find("quantity"); it != product.end()) {
              out->set_quantity(it->second.number_value());
            }
            if (auto it = product.find("unit"); it != product.end()) {
              out->set_unit(it->second.string_value());
            }
          }
        }
        std::move(done)(std::move(info));
      });
}

}  // namespace linkgateway::adapters::dash_replenishment
