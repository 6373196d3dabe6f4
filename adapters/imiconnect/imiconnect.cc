#include "adapters/imiconnect/imiconnect.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/errors/upstream_text.h"
#include "adapters/imiconnect/errors.h"
#include "adapters/transport/json.h"
#include "adapters/transport/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::adapters::imiconnect {
namespace {

using Fields = adapters::transport::JsonFields;

// A JSON number that fits an int; nullopt otherwise (never cast out of range).
std::optional<int> IntValue(google::protobuf::Value const& value) {
  double n = value.number_value();
  if (!value.has_number_value() || !std::isfinite(n) || n < INT_MIN || n > INT_MAX) {
    return std::nullopt;
  }
  return static_cast<int>(n);
}

// Codes and ids arrive as strings ("1000") and sometimes as numbers: whole
// numbers up to 2^53 are kept exactly, anything else is dropped.
std::string CodeText(Fields const& fields, char const* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "";
  if (it->second.has_number_value()) {
    double n = it->second.number_value();
    if (!std::isfinite(n) || n != std::floor(n) || std::fabs(n) > 9007199254740992.0) return "";
    return absl::StrCat(static_cast<std::int64_t>(n));
  }
  return adapters::errors::SafeText(it->second.string_value(),
                                    adapters::errors::kMaxUpstreamIdBytes);
}

std::string Text(Fields const& fields, char const* key) {
  return adapters::errors::SafeText(adapters::transport::StringField(fields, key),
                                    adapters::errors::kMaxUpstreamMessageBytes);
}

int Count(Fields const& fields, char const* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return 0;
  if (it->second.has_number_value()) return IntValue(it->second).value_or(0);
  int value = 0;
  return absl::SimpleAtoi(it->second.string_value(), &value) ? value : 0;
}

absl::Status Malformed(absl::string_view what) {
  return adapters::errors::MalformedResponse(Errors(), what);
}

adapters::transport::HttpRequest BaseRequest(std::string method, std::string url,
                                             std::string const& key,
                                             adapters::operation::CallContext const& context) {
  adapters::transport::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = {
      {"key", key}, {"Content-Type", "application/json"}, {"Accept", "application/json"}};
  request.deadline = context.deadline;
  request.trace = context.trace;
  return request;
}

// The error for an answer whose code is not a success, or a non-2xx without
// a code.
absl::Status ImiconnectError(adapters::transport::HttpResponse const& response,
                             absl::StatusOr<Envelope> const& envelope) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(Errors(), response, absl::Now());
  if (envelope.ok()) {
    error.vendor_code = envelope->code;
    error.message = adapters::errors::TrimmedText(envelope->description);
    if (!envelope->transaction_id.empty())
      error.metadata["transactionId"] = envelope->transaction_id;
  } else {
    error.message = adapters::errors::TrimmedText(response.body);
  }
  if (error.vendor_code.empty() && response.status >= 200 && response.status < 300) {
    return Malformed("the answer has no response code");
  }
  return adapters::errors::MapUpstreamError(error);
}

}  // namespace

absl::StatusOr<Envelope> ParseEnvelope(absl::string_view body) {
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(std::string(body), &json).ok()) {
    return Malformed("the answer is not JSON");
  }
  Fields const* fields = &json.fields();
  if (auto it = fields->find("response"); it != fields->end() && it->second.has_struct_value()) {
    fields = &it->second.struct_value().fields();  // the legacy envelope
  }
  Envelope envelope;
  envelope.code = CodeText(*fields, "code");
  envelope.description = Text(*fields, "description");
  envelope.transaction_id = CodeText(*fields, "transid");
  envelope.total_count = Count(*fields, "TotalCount");
  envelope.success_count = Count(*fields, "SuccessCount");
  envelope.failure_count = Count(*fields, "FailureCount");
  if (auto it = fields->find("Results"); it != fields->end()) {
    for (auto const& value : it->second.list_value().values()) {
      auto const& item = value.struct_value().fields();
      v1::ImiconnectTransactionItem out;
      out.set_code(CodeText(item, "code"));
      out.set_description(Text(item, "description"));
      out.set_customer_id(CodeText(item, "customerId"));
      out.set_user_id(CodeText(item, "userId"));
      envelope.results.push_back(std::move(out));
    }
  }
  return envelope;
}

void DeleteAppProfile::Start(adapters::operation::CallContext const& context,
                             v1::DeleteAppProfileRequest const& request,
                             adapters::operation::Callback<v1::DeleteAppProfileResponse> done) {
  auto const& key = request.imiconnect();
  auto url = adapters::transport::JoinPath(
      options_.base_url,
      {"resources", "v2", "customerappprofile", key.app_id(), key.customer_id(), key.device_id()});
  if (!url.ok()) return std::move(done)(url.status());
  auto http = BaseRequest("DELETE", *std::move(url), options_.profile_key.value(), context);
  transport_.Send(
      std::move(http), context.cancellation,
      [done = std::move(done)](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        auto envelope = ParseEnvelope(response->body);
        bool queued = envelope.ok() && (envelope->code == "1000" || envelope->code == "1001");
        if (!queued || response->status < 200 || response->status >= 300) {
          return std::move(done)(ImiconnectError(*response, envelope));
        }
        if (envelope->transaction_id.empty()) {
          return std::move(done)(Malformed("a queued deletion without transid"));
        }
        v1::DeleteAppProfileResponse result;
        auto* transaction = result.mutable_imiconnect();
        transaction->set_transaction_id(envelope->transaction_id);
        transaction->set_code(envelope->code);
        transaction->set_description(envelope->description);
        std::move(done)(std::move(result));
      });
}

void GetProfileTransaction::Start(adapters::operation::CallContext const& context,
                                  v1::GetProfileTransactionRequest const& request,
                                  adapters::operation::Callback<v1::ProfileTransaction> done) {
  std::string transaction_id = request.imiconnect().transaction_id();
  auto url = adapters::transport::JoinPath(
      options_.base_url, {"resources", "v2", "profile", "status", transaction_id});
  if (!url.ok()) return std::move(done)(url.status());
  transport_.Send(
      BaseRequest("GET", *std::move(url), options_.profile_key.value(), context),
      context.cancellation,
      [done = std::move(done),
       transaction_id](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        if (!response.ok())
          return std::move(done)(adapters::errors::AttributeTo(Errors(), response.status()));
        auto envelope = ParseEnvelope(response->body);
        bool known = envelope.ok() && (envelope->code == "1000" || envelope->code == "1002" ||
                                       envelope->code == "7600");
        if (!known || response->status < 200 || response->status >= 300) {
          return std::move(done)(ImiconnectError(*response, envelope));
        }
        v1::ProfileTransaction result;
        auto* status = result.mutable_imiconnect();
        status->set_transaction_id(envelope->transaction_id.empty() ? transaction_id
                                                                    : envelope->transaction_id);
        status->set_code(envelope->code);
        status->set_description(envelope->description);
        status->set_total_count(envelope->total_count);
        status->set_success_count(envelope->success_count);
        status->set_failure_count(envelope->failure_count);
        for (auto& item : envelope->results) *status->add_results() = std::move(item);
        // SUCCEEDED only when the answer says so: 1000 with no failure.
        // 1002 ("partial success") is never read as success, whatever its
        // counts say or omit.
        if (envelope->code == "7600") {
          status->set_state(v1::PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN);
        } else if (envelope->code == "1002" || envelope->failure_count > 0) {
          status->set_state(envelope->failure_count > 0 && envelope->success_count == 0
                                ? v1::PROFILE_TRANSACTION_STATE_FAILED
                                : v1::PROFILE_TRANSACTION_STATE_PARTIALLY_SUCCEEDED);
        } else {
          status->set_state(v1::PROFILE_TRANSACTION_STATE_SUCCEEDED);
        }
        std::move(done)(std::move(result));
      });
}

}  // namespace linkgateway::adapters::imiconnect
