#include "tests/testing/fault_matrix.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"

namespace linkgateway::tests::testing {
namespace {

using Code = grpc::StatusCode;

constexpr char kImiconnectApp[] = "a_635736738702976937";
constexpr char kDeviceModel[] = "fault-matrix-model";

template <typename Service>
std::unique_ptr<typename Service::Stub> StubOn(grpc::Channel& channel) {
  return Service::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
}

// Fixed width: no id is a prefix of another, so `match` finds one call's.
std::string Numbered(std::uint64_t n) { return absl::StrFormat("fm-%010d", n); }
std::string Itself(std::string const& id) { return id; }
// A customer token for calls whose fault is played before any check: the
// emulator never looks at it, the gateway must never write it anywhere.
std::string CallerToken(std::string const& id, std::string const& credential) {
  return credential.empty() ? absl::StrCat("Atza|caller-", id) : credential;
}

absl::StatusOr<std::string> NewDevice(EmulatedGateway& env, std::string const& id) {
  auto created = env.Control(Emulator::kAmazon, "devices",
                             absl::StrCat(R"({"model":")", kDeviceModel, R"(","device":")", id,
                                          R"(","slots":{"s1":{"subscribed":true}}})"));
  if (!created.ok()) return created.status();
  return created->fields().at("accessToken").string_value();
}

absl::StatusOr<std::string> Seeded(absl::StatusOr<google::protobuf::Struct> answer) {
  if (!answer.ok()) return answer.status();
  return std::string();
}

Operation DashDeregister() {
  Operation op;
  op.name = "dash_replenishment.deregister";
  op.emulator = Emulator::kAmazon;
  op.id = Numbered;
  op.match = Itself;  // in the path: /deviceModels/<model>/devices/<id>/registration
  op.seed = NewDevice;
  op.call = [](grpc::Channel& channel, grpc::ClientContext& context, std::string const& id,
               std::string const& credential) {
    v1::DeleteRegistrationRequest request;
    auto* device = request.mutable_dash_replenishment();
    device->set_access_token(CallerToken(id, credential));
    device->set_api_version(v1::DASH_REPLENISHMENT_API_VERSION_1_0);
    device->set_device_model_id(kDeviceModel);
    device->set_device_identifier(id);
    v1::DeleteRegistrationResponse response;
    return StubOn<v1::RegistrationService>(channel)->DeleteRegistration(&context, request,
                                                                       &response);
  };
  return op;
}

Operation DashSubscriptionInfo() {
  Operation op;
  op.name = "dash_replenishment.subscription_info";
  op.emulator = Emulator::kAmazon;
  op.id = Numbered;
  op.match = Itself;  // in the Authorization header (the caller's token)
  op.seed = NewDevice;
  op.call = [](grpc::Channel& channel, grpc::ClientContext& context, std::string const& id,
               std::string const& credential) {
    v1::GetSubscriptionInfoRequest request;
    request.mutable_dash_replenishment()->set_access_token(CallerToken(id, credential));
    v1::SubscriptionInfo response;
    return StubOn<v1::SubscriptionService>(channel)->GetSubscriptionInfo(&context, request,
                                                                        &response);
  };
  return op;
}

grpc::Status DeleteSubscription(grpc::Channel& channel, grpc::ClientContext& context,
                                std::string const& id, std::string const& /*credential*/) {
  v1::DeleteSubscriptionRequest request;
  request.mutable_selling_partner()->set_notification_type("ANY_OFFER_CHANGED");
  request.mutable_selling_partner()->set_subscription_id(id);
  v1::DeleteSubscriptionResponse response;
  return StubOn<v1::SubscriptionService>(channel)->DeleteSubscription(&context, request,
                                                                     &response);
}

Operation SellingPartnerDelete() {
  Operation op;
  op.name = "selling_partner.delete_subscription";
  op.emulator = Emulator::kAmazon;
  op.id = Numbered;
  op.match = Itself;  // in the path
  op.seed = [](EmulatedGateway& env, std::string const& id) {
    return Seeded(env.Control(Emulator::kAmazon, "subscriptions",
                              absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                           R"("subscriptionId":")", id, R"("})")));
  };
  op.call = DeleteSubscription;
  op.rate_limited = true;
  return op;
}

// The Login with Amazon token answer a Selling Partner call needs: the
// emulator expires the gateway's token first, so the call is refused and the
// gateway's one refresh meets the fault.
Operation LoginWithAmazonToken() {
  Operation op = SellingPartnerDelete();
  op.name = "login_with_amazon.token";
  op.match = [](std::string const&) { return std::string("^POST /auth/o2/token"); };
  op.prepare = "expire-tokens";  // the gateway's only, not the devices'
  op.prepare_json = R"({"kind":"grantless"})";
  return op;
}

Operation SmsVoiceDelete() {
  Operation op;
  op.name = "sms_voice.delete_registration";
  op.emulator = Emulator::kSmsVoice;
  op.id = Numbered;
  op.match = Itself;  // in the body
  op.seed = [](EmulatedGateway& env, std::string const& id) {
    return Seeded(env.Control(
        Emulator::kSmsVoice, "registrations",
        absl::StrCat(R"({"RegistrationId":")", id, R"(","RegistrationStatus":"COMPLETE",)",
                     R"("CurrentVersionNumber":1,"CreatedTimestamp":1700000000})")));
  };
  op.call = [](grpc::Channel& channel, grpc::ClientContext& context, std::string const& id,
               std::string const&) {
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id(id);
    v1::DeleteRegistrationResponse response;
    return StubOn<v1::RegistrationService>(channel)->DeleteRegistration(&context, request,
                                                                       &response);
  };
  return op;
}

Operation ImiconnectDelete() {
  Operation op;
  op.name = "imiconnect.delete_app_profile";
  op.emulator = Emulator::kImiconnect;
  op.id = Numbered;
  op.match = Itself;  // in the path
  op.seed = [](EmulatedGateway& env, std::string const& id) {
    return Seeded(env.Control(Emulator::kImiconnect, "profiles",
                              absl::StrCat(R"({"appId":")", kImiconnectApp, R"(","customerId":")",
                                           id, R"(","deviceId":")", id, R"("})")));
  };
  op.call = [](grpc::Channel& channel, grpc::ClientContext& context, std::string const& id,
               std::string const&) {
    v1::DeleteAppProfileRequest request;
    request.mutable_imiconnect()->set_app_id(kImiconnectApp);
    request.mutable_imiconnect()->set_customer_id(id);
    request.mutable_imiconnect()->set_device_id(id);
    v1::DeleteAppProfileResponse response;
    return StubOn<v1::AppProfileService>(channel)->DeleteAppProfile(&context, request, &response);
  };
  return op;
}

Operation ImiconnectTransaction() {
  Operation op;
  op.name = "imiconnect.get_profile_transaction";
  op.emulator = Emulator::kImiconnect;
  op.id = [](std::uint64_t n) { return absl::StrFormat("7e57fa17-0000-4000-8000-%012x", n); };
  op.match = Itself;  // in the path
  // An id the provider has no result for yet: the documented "pending".
  op.seed = [](EmulatedGateway&, std::string const&) -> absl::StatusOr<std::string> {
    return std::string();
  };
  op.call = [](grpc::Channel& channel, grpc::ClientContext& context, std::string const& id,
               std::string const&) {
    v1::GetProfileTransactionRequest request;
    request.mutable_imiconnect()->set_transaction_id(id);
    v1::ProfileTransaction response;
    return StubOn<v1::AppProfileService>(channel)->GetProfileTransaction(&context, request,
                                                                        &response);
  };
  return op;
}

// Two sends when the upstream refused the gateway's token: it is refreshed and
// the call repeated once.
Row Success() { return {"documented success", Endpoint::kEmulators, "", Code::OK, "", 2}; }
Row Fault(std::string fault, std::string scenario, Code code, std::string reason,
          int max_sends = kMaxAttempts) {
  return {std::move(fault), Endpoint::kEmulators, std::move(scenario), code, std::move(reason),
          max_sends};
}
Row At(std::string fault, Endpoint endpoint, Code code, std::string reason) {
  return {std::move(fault), endpoint, "", code, std::move(reason), 0};
}

constexpr char kHtml502[] =
    R"("status":502,"contentType":"text/html",)"
    R"("body":"<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>")";
constexpr char kRedirect[] =
    R"("status":302,"headers":{"Location":"https://127.0.0.1:1/elsewhere"})";

// Faults every operation meets the same way.
std::vector<Row> CommonRows() {
  return {
      At("connection refused", Endpoint::kRefused, Code::UNAVAILABLE, "UPSTREAM_CONNECT_FAILED"),
      At("untrusted certificate", Endpoint::kUntrusted, Code::UNAVAILABLE,
         "UPSTREAM_TLS_UNTRUSTED"),
      At("expired certificate", Endpoint::kExpired, Code::UNAVAILABLE, "UPSTREAM_TLS_UNTRUSTED"),
      At("wrong host name", Endpoint::kWrongHost, Code::UNAVAILABLE, "UPSTREAM_TLS_UNTRUSTED"),
      Fault("never answered", R"("fault":"hang")", Code::DEADLINE_EXCEEDED, ""),
      Fault("slow trickle", R"("fault":"trickle")", Code::DEADLINE_EXCEEDED, ""),
      Fault("body over the limit", R"("fault":"oversize")", Code::INTERNAL,
            "UPSTREAM_RESPONSE_TOO_LARGE", 1),
      // Never followed: not to another host, not at all.
      Fault("redirect elsewhere", kRedirect, Code::UNKNOWN, "UPSTREAM_UNEXPECTED_STATUS", 1),
  };
}

// An idempotent operation is repeated up to max_attempts, then unavailable
// (safe to repeat).
std::vector<Row> RetriedRows() {
  return {
      Fault("reset before answer", R"("fault":"reset")", Code::UNAVAILABLE,
            "UPSTREAM_CONNECTION_LOST"),
      Fault("reset mid-body", R"("fault":"resetMidBody")", Code::UNAVAILABLE,
            "UPSTREAM_CONNECTION_LOST"),
      Fault("HTML error page, 502", kHtml502, Code::UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
  };
}

std::vector<Row> Join(std::vector<std::vector<Row>> parts) {
  std::vector<Row> rows;
  for (auto& part : parts) rows.insert(rows.end(), part.begin(), part.end());
  return rows;
}

std::map<std::string, std::vector<Row>> const& Matrix() {
  static auto const* const matrix = new std::map<std::string, std::vector<Row>>{
      // A 200 proves the deregistration; its body carries nothing the
      // gateway reads, so an odd body does not make the outcome less certain.
      {"dash_replenishment.deregister",
       Join({{Success()}, CommonRows(), RetriedRows(),
             {Fault("malformed JSON", R"("status":200,"malformed":true)", Code::OK, "", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::OK, "", 1),
              Fault("200 with wrong types", R"("status":200,"body":{"deregistered":[1]})",
                    Code::OK, "", 1)}})},
      {"dash_replenishment.subscription_info",
       Join({{Success()}, CommonRows(), RetriedRows(),
             {Fault("malformed JSON",
                    R"("headers":{"x-amzn-type-version":"com.amazon.dash.replenishment.)"
                    R"(DrsSubscriptionInfoResult@2.0"},"status":200,"malformed":true)",
                    Code::INTERNAL, "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 with wrong types",
                    R"("status":200,"body":{"slotsSubscriptionStatus":{"s1":7}})",
                    Code::INTERNAL, "UPSTREAM_MALFORMED_RESPONSE", 1),
              // The shape tells the version; without a header, the one asked for.
              Fault("200 without its version header",
                    R"("status":200,"body":{"slotsSubscriptionStatus":{"s1":true}})", Code::OK,
                    "", 1)}})},
      // deleteSubscriptionById's 200 carries no fields the gateway needs.
      {"selling_partner.delete_subscription",
       Join({{Success()}, CommonRows(), RetriedRows(),
             {Fault("malformed JSON", R"("status":200,"malformed":true)", Code::OK, "", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::OK, "", 1),
              Fault("200 with wrong types", R"("status":200,"body":{"errors":7})", Code::OK, "",
                    1)}})},
      {"login_with_amazon.token",
       {Fault("reset before answer", R"("fault":"reset")", Code::UNAVAILABLE,
              "UPSTREAM_CONNECTION_LOST"),
        Fault("body over the limit", R"("fault":"oversize")", Code::INTERNAL,
              "UPSTREAM_RESPONSE_TOO_LARGE", 1),
        Fault("malformed JSON", R"("status":200,"malformed":true)", Code::INTERNAL,
              "UPSTREAM_MALFORMED_RESPONSE", 1),
        Fault("200 without fields", R"("status":200,"body":{})", Code::INTERNAL,
              "UPSTREAM_MALFORMED_RESPONSE", 1),
        Fault("200 with wrong types",
              R"("status":200,"body":{"access_token":7,"expires_in":"soon"})", Code::INTERNAL,
              "UPSTREAM_MALFORMED_RESPONSE", 1),
        Fault("HTML error page, 502", kHtml502, Code::UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        Fault("redirect elsewhere", kRedirect, Code::UNKNOWN, "UPSTREAM_UNEXPECTED_STATUS", 1),
        // Last: the refresh is shared and runs on its own timeout (10 s) after
        // the caller leaves, so calls right after it wait on it.
        Fault("never answered", R"("fault":"hang")", Code::DEADLINE_EXCEEDED, "", 1)}},
      {"sms_voice.delete_registration",
       Join({{Success()}, CommonRows(), RetriedRows(),
             {Fault("malformed JSON", R"("status":200,"malformed":true)", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 with wrong types",
                    R"("status":200,"body":{"RegistrationId":"r-1","RegistrationStatus":["x"]})",
                    Code::INTERNAL, "UPSTREAM_MALFORMED_RESPONSE", 1),
              // A 2xx is AWS's success; a status name the model does not know
              // yet reaches the caller as registration_status_name.
              Fault("unknown enum value",
                    R"("status":200,"body":{"RegistrationId":"r-1",)"
                    R"("RegistrationStatus":"EVAPORATED"})",
                    Code::OK, "", 1)}})},
      // A delete that may have been queued is never repeated: every fault
      // after the request left is an unknown outcome, with one send.
      {"imiconnect.delete_app_profile",
       Join({{Success()}, CommonRows(),
             {Fault("reset before answer", R"("fault":"reset")", Code::UNKNOWN,
                    "UPSTREAM_OUTCOME_UNKNOWN", 1),
              Fault("reset mid-body", R"("fault":"resetMidBody")", Code::UNKNOWN,
                    "UPSTREAM_OUTCOME_UNKNOWN", 1),
              Fault("HTML error page, 502", kHtml502, Code::UNKNOWN, "UPSTREAM_OUTCOME_UNKNOWN",
                    1),
              Fault("malformed JSON", R"("status":200,"malformed":true)", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              // Codes and ids arrive as strings and sometimes as numbers; an
              // object in their place is no answer.
              Fault("200 with wrong types",
                    R"("status":200,"body":{"code":{"value":1000},"transid":["t-1"]})",
                    Code::INTERNAL, "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("unknown enum value",
                    R"("status":200,"body":{"code":"1999","description":"?","transid":"t-1"})",
                    Code::UNKNOWN, "UPSTREAM_UNEXPECTED_STATUS", 1)}})},
      {"imiconnect.get_profile_transaction",
       Join({{Success()}, CommonRows(), RetriedRows(),
             {Fault("malformed JSON", R"("status":200,"malformed":true)", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 without fields", R"("status":200,"body":{})", Code::INTERNAL,
                    "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("200 with wrong types", R"("status":200,"body":{"code":[1000]})",
                    Code::INTERNAL, "UPSTREAM_MALFORMED_RESPONSE", 1),
              Fault("unknown enum value",
                    R"("status":200,"body":{"code":"1999","description":"?"})", Code::UNKNOWN,
                    "UPSTREAM_UNEXPECTED_STATUS", 1)}})},
  };
  return *matrix;
}

std::string AltAddress(std::string const& output, std::string const& name) {
  std::string marker = absl::StrCat("alt ", name, " serves ");
  auto at = output.find(marker);
  if (at == std::string::npos) return "";
  auto end = output.find('\n', at);
  return output.substr(at + marker.size(), end - at - marker.size());
}

std::string ReadFile(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<Operation> AllOperations() {
  return {DashDeregister(), DashSubscriptionInfo(), SellingPartnerDelete(),
          LoginWithAmazonToken(), SmsVoiceDelete(), ImiconnectDelete(),
          ImiconnectTransaction()};
}

std::vector<Row> RowsFor(std::string const& operation) { return Matrix().at(operation); }

std::string ScenarioFor(Operation const& operation, Row const& row, std::string const& id,
                        absl::Duration ttl) {
  // Regexes from match() hold only id characters and anchors: no escaping.
  return absl::StrCat(R"({"request":")", operation.match(id), R"(","times":-1,"ttlMs":)",
                      absl::ToInt64Milliseconds(ttl), ",", row.scenario, "}");
}

absl::StatusOr<std::unique_ptr<FaultGateways>> FaultGateways::Start(
    EmulatedGatewayOptions options) {
  // The test CA comes with the emulators: start once to get it, then make the
  // faulty certificates and restart the Amazon emulator serving them too.
  auto bootstrap = EmulatedGateway::Start(options);
  if (!bootstrap.ok()) return bootstrap.status();
  TestCertificates const& ca = (*bootstrap)->certs();
  auto untrusted = MakeTestCertificates();  // a CA nobody trusts
  auto expired = MakeCertificate(ca, "expired", "/CN=127.0.0.1", "IP:127.0.0.1", true);
  auto wrong_host = MakeCertificate(ca, "wrong-host", "/CN=billing.example", "DNS:billing.example");
  if (!untrusted.ok()) return untrusted.status();
  if (!expired.ok()) return expired.status();
  if (!wrong_host.ok()) return wrong_host.status();
  options.amazon_args.insert(
      options.amazon_args.end(),
      {"--alt-cert", absl::StrCat("untrusted=", untrusted->server_cert, ":", untrusted->server_key),
       "--alt-cert", absl::StrCat("expired=", expired->cert, ":", expired->key), "--alt-cert",
       absl::StrCat("wrong-host=", wrong_host->cert, ":", wrong_host->key)});
  bootstrap->reset();

  auto gateways = std::unique_ptr<FaultGateways>(new FaultGateways());
  auto main = EmulatedGateway::Start(options);
  if (!main.ok()) return main.status();
  std::string amazon_output = (*main)->amazon().Output();
  gateways->gateways_[Endpoint::kEmulators] = *std::move(main);

  // A port bound and never listened on: connecting to it is refused.
  gateways->refused_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(gateways->refused_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(gateways->refused_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError("cannot bind a loopback port");
  }
  std::map<Endpoint, std::string> endpoints = {
      {Endpoint::kRefused, absl::StrCat("127.0.0.1:", ntohs(address.sin_port))},
      {Endpoint::kUntrusted, AltAddress(amazon_output, "untrusted")},
      {Endpoint::kExpired, AltAddress(amazon_output, "expired")},
      {Endpoint::kWrongHost, AltAddress(amazon_output, "wrong-host")}};
  for (auto const& [endpoint, at] : endpoints) {
    if (at.empty()) return absl::InternalError("the emulator serves no faulty certificate");
    EmulatedGatewayOptions faulty = options;
    faulty.upstream_override = at;
    auto gateway = EmulatedGateway::Start(faulty);
    if (!gateway.ok()) return gateway.status();
    gateways->gateways_[endpoint] = *std::move(gateway);
  }
  return gateways;
}

FaultGateways::~FaultGateways() {
  gateways_.clear();
  if (refused_fd_ >= 0) close(refused_fd_);
}

std::vector<EmulatedGateway*> FaultGateways::all() {
  std::vector<EmulatedGateway*> all;
  for (auto const& [endpoint, gateway] : gateways_) all.push_back(gateway.get());
  return all;
}

std::vector<std::string> Secrets() {
  return {kLwaClientSecret, kAwsSecret, kAwsSessionToken, kImiconnectKey, "Atza|", "Atzr|"};
}

int OpenDescriptors(int pid) {
  int count = 0;
  if (DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str())) {
    while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
    closedir(dir);
  }
  return count;
}

long ResidentKb(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      status >> kb;
      return kb;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

std::string WrittenBy(EmulatedGateway& gateway) {
  return gateway.gateway().Output() + ReadFile(gateway.access_log_path()) +
         ReadFile(gateway.audit_path());
}

}  // namespace linkgateway::tests::testing
