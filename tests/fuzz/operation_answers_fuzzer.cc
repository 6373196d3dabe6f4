// libFuzzer target: whole operations answered by arbitrary upstream answers.
// Every provider operation (and the Login with Amazon token request) runs
// against the fake transport, which answers with the fuzzer's status, headers
// and body, so each success and error parser, the status mapping and the
// vendor error tables see the input as the gateway would. Each run must end
// with a value or an error, inline, without a crash or a sanitizer report.
//
// Input: byte 0 picks the operation, bytes 1-2 the HTTP status (100-599),
// then header lines "name: value" up to an empty line, then the body.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/auth/lwa_token_source.h"
#include "adapters/dash_replenishment/dash_replenishment.h"
#include "adapters/imiconnect/imiconnect.h"
#include "adapters/selling_partner/selling_partner.h"
#include "adapters/sms_voice/sms_voice.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"

namespace linkgateway::tests::fuzz {
namespace {

using adapters::transport::HttpRequest;
using adapters::transport::HttpResponse;

constexpr absl::Time kDeadline = absl::FromUnixSeconds(1'700'000'060);
constexpr char kToken[] = R"({"access_token":"Atza|fuzz","token_type":"bearer","expires_in":3600})";

class FixedCredentials : public adapters::auth::AwsCredentialsProvider {
 public:
  void Get(absl::Time, std::shared_ptr<adapters::async::Cancellation>,
           adapters::transport::Done<adapters::auth::AwsCredentials> done) override {
    std::move(done)(adapters::auth::AwsCredentials{"AKIDFUZZ", "fuzz-secret", "fuzz-session"});
  }
  absl::Status Ready() override { return absl::OkStatus(); }
};

adapters::transport::HttpResponse Answer(uint8_t const* data, size_t size) {
  adapters::transport::HttpResponse response;
  response.status = 100 + (data[1] << 8 | data[2]) % 500;
  absl::string_view rest(reinterpret_cast<char const*>(data) + 3, size - 3);
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(rest, absl::MaxSplits("\n\n", 1));
  for (absl::string_view line : absl::StrSplit(parts.first, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> header =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    response.headers.emplace_back(absl::AsciiStrToLower(header.first),
                                  std::string(absl::StripLeadingAsciiWhitespace(header.second)));
  }
  response.body = std::string(parts.second);
  return response;
}

// Runs `op` to its end: inline, or on the manual clock (token retries wait
// on it) by the call's deadline at the latest.
template <typename Request, typename Response>
void Run(adapters::operation::Operation<Request, Response>& op, Request const& request,
         adapters::testing::ManualScheduler& clock) {
  std::optional<absl::StatusOr<Response>> result;
  op.Start(adapters::operation::CallContext{kDeadline, nullptr, nullptr}, request,
           [&](absl::StatusOr<Response> r) { result = std::move(r); });
  while (!result.has_value() && clock.Now() <= kDeadline) clock.AdvanceBy(absl::Seconds(1));
  if (!result.has_value()) __builtin_trap();  // a call that never ends
}

}  // namespace
}  // namespace linkgateway::tests::fuzz

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size) {
  using namespace linkgateway;
  using namespace linkgateway::tests::fuzz;  // NOLINT
  if (size < 3) return 0;
  adapters::transport::HttpResponse answer = Answer(data, size);
  int const which = data[0] % 8;
  adapters::testing::FakeHttpTransport transport;
  adapters::testing::ManualScheduler clock(kDeadline - absl::Minutes(1));
  // The token request gets the fuzzer's answer only when it is under test.
  transport.SetResponder([&](adapters::transport::HttpRequest const& request)
                             -> absl::StatusOr<adapters::transport::HttpResponse> {
    bool token = absl::EndsWith(request.url, "/auth/o2/token");
    if (token != (which == 4)) return adapters::testing::Response(200, kToken);
    return answer;
  });
  switch (which) {
    case 0:
    case 1: {  // Dash Replenishment deregistration, 2.0 and 1.0
      adapters::dash_replenishment::Deregistration op("https://drs.example", transport);
      v1::DeleteRegistrationRequest request;
      auto* device = request.mutable_dash_replenishment();
      device->set_access_token("Atza|fuzz-customer");
      if (which == 1) {
        device->set_api_version(v1::DASH_REPLENISHMENT_API_VERSION_1_0);
        device->set_device_model_id("model");
        device->set_device_identifier("device");
      }
      Run(op, request, clock);
      break;
    }
    case 2: {  // Dash Replenishment subscription info
      adapters::dash_replenishment::GetSubscriptionInfo op("https://drs.example", transport);
      v1::GetSubscriptionInfoRequest request;
      request.mutable_dash_replenishment()->set_access_token("Atza|fuzz-customer");
      Run(op, request, clock);
      break;
    }
    case 3:
    case 4: {  // SP-API deleteSubscriptionById, or the LWA token answer it needs
      adapters::auth::LwaOptions options;
      options.token_endpoint = "https://api.amazon.example/auth/o2/token";
      options.client_id = "amzn1.application-oa2-client.fuzz";
      options.client_secret = "fuzz-client-secret";
      options.scope = "sellingpartnerapi::notifications";
      adapters::auth::LwaTokenSource tokens(options, transport, clock);
      adapters::selling_partner::DeleteSubscription op(
          {"https://sp.example", "https://sp.example", "https://sp.example"}, transport, tokens);
      v1::DeleteSubscriptionRequest request;
      request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
      request.mutable_selling_partner()->set_subscription_id("sub-fuzz");
      Run(op, request, clock);
      clock.AdvanceBy(absl::Hours(2));  // background refreshes end too
      break;
    }
    case 5: {  // SMS and Voice DeleteRegistration
      FixedCredentials credentials;
      adapters::sms_voice::DeleteRegistration op("https://sms-voice.example", "us-east-1",
                                                 transport, credentials);
      v1::DeleteRegistrationRequest request;
      request.mutable_sms_voice()->set_registration_id("registration-fuzz");
      Run(op, request, clock);
      break;
    }
    case 6: {  // IMIconnect delete app profile
      adapters::imiconnect::DeleteAppProfile op({"https://imi.example", "fuzz-key"}, transport);
      v1::DeleteAppProfileRequest request;
      request.mutable_imiconnect()->set_app_id("a_1");
      request.mutable_imiconnect()->set_customer_id("c");
      request.mutable_imiconnect()->set_device_id("d");
      Run(op, request, clock);
      break;
    }
    default: {  // IMIconnect transaction status
      adapters::imiconnect::GetProfileTransaction op({"https://imi.example", "fuzz-key"},
                                                     transport);
      v1::GetProfileTransactionRequest request;
      request.mutable_imiconnect()->set_transaction_id("2b0d9f4e-6a4b-4d2f-9a57-3f1d7c0e8a11");
      Run(op, request, clock);
      break;
    }
  }
  return 0;
}
