#include "clients/cpp/client.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace linkgateway::clients::cpp {
namespace {

constexpr absl::string_view kDetailsPayload = "type.googleapis.com/google.rpc.Status";

}  // namespace

absl::Status FromGrpcStatus(grpc::Status const& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (!status.error_details().empty()) {
    result.SetPayload(kDetailsPayload, absl::Cord(status.error_details()));
  }
  return result;
}

ErrorDetails Explain(absl::Status const& status) {
  ErrorDetails out;
  out.code = status.code();
  out.message = std::string(status.message());
  auto payload = status.GetPayload(kDetailsPayload);
  google::rpc::Status rpc;
  if (!payload || !rpc.ParseFromString(std::string(*payload))) return out;
  for (auto const& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    google::rpc::BadRequest bad_request;
    google::rpc::RequestInfo request_info;
    if (any.UnpackTo(&info)) {
      out.has_error_info = true;
      out.reason = info.reason();
      out.domain = info.domain();
      out.metadata.insert(info.metadata().begin(), info.metadata().end());
      if (auto it = info.metadata().find("upstreamRequestId"); it != info.metadata().end()) {
        out.upstream_request_id = it->second;
      }
    } else if (any.UnpackTo(&retry)) {
      out.retry_delay = absl::Seconds(retry.retry_delay().seconds()) +
                        absl::Nanoseconds(retry.retry_delay().nanos());
    } else if (any.UnpackTo(&bad_request)) {
      out.has_bad_request = true;
      for (auto const& v : bad_request.field_violations()) {
        out.field_violations.emplace_back(v.field(), v.description());
      }
    } else if (any.UnpackTo(&request_info) && out.upstream_request_id.empty()) {
      out.upstream_request_id = request_info.request_id();
    }
  }
  return out;
}

std::string ErrorDetails::ToString() const {
  std::string out = absl::StrCat(absl::StatusCodeToString(code), ": ", message, "\n");
  if (!reason.empty()) absl::StrAppend(&out, "  reason: ", reason, " (", domain, ")\n");
  if (!upstream_request_id.empty()) {
    absl::StrAppend(&out, "  upstream request id: ", upstream_request_id, "\n");
  }
  if (retry_delay) absl::StrAppend(&out, "  retry after: ", absl::FormatDuration(*retry_delay), "\n");
  for (auto const& [field, rule] : field_violations) {
    absl::StrAppend(&out, "  field ", field, ": ", rule, "\n");
  }
  if (!metadata.empty()) {
    absl::StrAppend(&out, "  metadata: ", absl::StrJoin(metadata, ", ", absl::PairFormatter("=")),
                    "\n");
  }
  return out;
}

namespace {

absl::StatusOr<std::string> ReadPem(std::string const& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream pem;
  pem << in.rdbuf();
  return pem.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(ClientOptions const& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls || !options.ca_file.empty() || !options.cert_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    for (auto [path, field] : {std::pair{&options.ca_file, &ssl.pem_root_certs},
                               std::pair{&options.cert_file, &ssl.pem_cert_chain},
                               std::pair{&options.key_file, &ssl.pem_private_key}}) {
      if (path->empty()) continue;
      auto pem = ReadPem(*path);
      if (!pem.ok()) return pem.status();
      *field = *std::move(pem);
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    if (!options.cert_file.empty()) {
      return absl::InvalidArgumentError("a client certificate needs TLS");
    }
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments arguments;
  if (!options.load_balancing.empty()) {
    arguments.SetLoadBalancingPolicyName(options.load_balancing);
  }
  return grpc::CreateCustomChannel(options.target, credentials, arguments);
}

std::string NewRequestId() {
  thread_local absl::BitGen random;
  std::uint64_t high = absl::Uniform<std::uint64_t>(random);
  std::uint64_t low = absl::Uniform<std::uint64_t>(random);
  high = (high & ~std::uint64_t{0xF000}) | 0x4000;                        // version 4
  low = (low & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{0x8} << 60);  // RFC 4122 variant
  std::string hex = absl::StrFormat("%016x%016x", high, low);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  auto channel = MakeChannel(options);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<Client>(new Client(std::move(options), *std::move(channel)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      registrations_(v1::RegistrationService::NewStub(channel_)),
      subscriptions_(v1::SubscriptionService::NewStub(channel_)),
      app_profiles_(v1::AppProfileService::NewStub(channel_)),
      unlink_(v1::UnlinkService::NewStub(channel_)),
      operations_(google::longrunning::Operations::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext& context, absl::Time deadline) const {
  context.set_deadline(absl::ToChronoTime(deadline));
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.bearer_token));
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, Request const&, Response*),
    Request const& request, absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) timeout = options_.default_timeout;
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    Prepare(context, deadline);
    Response response;
    grpc::Status status = (stub.*method)(&context, request, &response);
    if (status.ok()) return response;
    absl::Status error = FromGrpcStatus(status);
    bool repeatable = error.code() == absl::StatusCode::kUnavailable ||
                      error.code() == absl::StatusCode::kAborted;
    absl::Duration wait = Explain(error).retry_delay.value_or(backoff);
    if (!repeatable || attempt >= options_.max_attempts || absl::Now() + wait >= deadline) {
      return error;
    }
    absl::SleepFor(wait);
    backoff *= 2;
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Delete(
    Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, Request const&, Response*),
    Request const& request, absl::Duration timeout) {
  if (!request.request_id().empty()) return Call(stub, method, request, timeout);
  Request with_id = request;
  with_id.set_request_id(NewRequestId());
  return Call(stub, method, with_id, timeout);
}

absl::StatusOr<v1::DeleteRegistrationResponse> Client::DeleteRegistration(
    v1::DeleteRegistrationRequest const& request, absl::Duration timeout) {
  return Delete(*registrations_, &v1::RegistrationService::Stub::DeleteRegistration, request,
                timeout);
}

absl::StatusOr<v1::SubscriptionInfo> Client::GetSubscriptionInfo(
    v1::GetSubscriptionInfoRequest const& request, absl::Duration timeout) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::GetSubscriptionInfo, request,
              timeout);
}

absl::StatusOr<v1::DeleteSubscriptionResponse> Client::DeleteSubscription(
    v1::DeleteSubscriptionRequest const& request, absl::Duration timeout) {
  return Delete(*subscriptions_, &v1::SubscriptionService::Stub::DeleteSubscription, request,
                timeout);
}

absl::StatusOr<v1::DeleteAppProfileResponse> Client::DeleteAppProfile(
    v1::DeleteAppProfileRequest const& request, absl::Duration timeout) {
  return Delete(*app_profiles_, &v1::AppProfileService::Stub::DeleteAppProfile, request,
                timeout);
}

absl::StatusOr<v1::ProfileTransaction> Client::GetProfileTransaction(
    v1::GetProfileTransactionRequest const& request, absl::Duration timeout) {
  return Call(*app_profiles_, &v1::AppProfileService::Stub::GetProfileTransaction, request,
              timeout);
}

absl::StatusOr<google::longrunning::Operation> Client::StartUnlink(
    v1::StartUnlinkRequest const& request, absl::Duration timeout) {
  return Delete(*unlink_, &v1::UnlinkService::Stub::StartUnlink, request, timeout);
}

absl::Status Client::WatchUnlink(v1::WatchUnlinkRequest const& request,
                                 std::function<void(v1::UnlinkMetadata const&)> const& on_update,
                                 absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) timeout = options_.default_timeout;
  grpc::ClientContext context;
  Prepare(context, absl::Now() + timeout);
  std::unique_ptr<grpc::ClientReader<v1::UnlinkMetadata>> reader =
      unlink_->WatchUnlink(&context, request);
  v1::UnlinkMetadata metadata;
  while (reader->Read(&metadata)) on_update(metadata);
  return FromGrpcStatus(reader->Finish());
}

absl::StatusOr<google::longrunning::Operation> Client::GetOperation(
    google::longrunning::GetOperationRequest const& request, absl::Duration timeout) {
  return Call(*operations_, &google::longrunning::Operations::Stub::GetOperation, request, timeout);
}

absl::StatusOr<google::longrunning::ListOperationsResponse> Client::ListOperations(
    google::longrunning::ListOperationsRequest const& request, absl::Duration timeout) {
  return Call(*operations_, &google::longrunning::Operations::Stub::ListOperations, request,
              timeout);
}

absl::StatusOr<google::protobuf::Empty> Client::CancelOperation(
    google::longrunning::CancelOperationRequest const& request, absl::Duration timeout) {
  return Call(*operations_, &google::longrunning::Operations::Stub::CancelOperation, request,
              timeout);
}

absl::StatusOr<google::longrunning::Operation> Client::WaitOperation(
    google::longrunning::WaitOperationRequest const& request, absl::Duration timeout) {
  return Call(*operations_, &google::longrunning::Operations::Stub::WaitOperation, request,
              timeout);
}

absl::StatusOr<google::protobuf::Empty> Client::DeleteOperation(
    google::longrunning::DeleteOperationRequest const& request, absl::Duration timeout) {
  return Call(*operations_, &google::longrunning::Operations::Stub::DeleteOperation, request,
              timeout);
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse> Client::Check(
    grpc::health::v1::HealthCheckRequest const& request, absl::Duration timeout) {
  return Call(*health_, &grpc::health::v1::Health::Stub::Check, request, timeout);
}

}  // namespace linkgateway::clients::cpp
