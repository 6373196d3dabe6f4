// A small C++ client for the linkgateway API over the generated stubs:
// channel set-up (plaintext or TLS), a deadline on every call by default, and
// errors with their google.rpc details unpacked into a readable form.
//
//   auto client = linkgateway::clients::cpp::Client::Create({.target = "127.0.0.1:50051"});
//   v1::DeleteSubscriptionRequest request;  // ...
//   auto response = (*client)->DeleteSubscription(request);
//   if (!response.ok()) std::cerr << client::Explain(response.status()).ToString();
#ifndef LINKGATEWAY_CLIENTS_CPP_CLIENT_H_
#define LINKGATEWAY_CLIENTS_CPP_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "google/protobuf/empty.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "linkgateway/v1/unlink.grpc.pb.h"

namespace linkgateway::clients::cpp {

struct ClientOptions {
  // One gateway ("127.0.0.1:50051"), several ("ipv4:10.0.0.1:50051,10.0.0.2:50051")
  // or a name that resolves to several ("dns:///linkgateway.prod.svc:50051"):
  // calls are spread over them by `load_balancing`.
  std::string target = "127.0.0.1:50051";
  std::string load_balancing = "round_robin";
  // TLS to the gateway: implied by `ca_file` (PEM roots, replacing the
  // system's) or `cert_file`; `tls` alone uses the system roots.
  bool tls = false;
  std::string ca_file;
  // mTLS: the client's certificate chain and key (PEM files).
  std::string cert_file;
  std::string key_file;
  // A bearer token sent as `authorization: Bearer <token>` with every call
  // (never logged by the client).
  std::string bearer_token;
  // Applied to calls that pass no timeout of their own.
  absl::Duration default_timeout = absl::Seconds(30);
  // Attempts per unary call, within its timeout: a call answered UNAVAILABLE (the
  // gateway could not be reached, or says nothing was done) or ABORTED (the
  // same request_id is still running) is repeated after the server's
  // RetryInfo or a backoff. Deletes keep one request_id across attempts, so
  // a repeat never deletes twice.
  int max_attempts = 3;
};

// A fresh request_id (a version 4 UUID) for one logical delete.
std::string NewRequestId();

// The channel the options describe (plaintext, TLS or mTLS).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(ClientOptions const& options);

// An error's details in readable form.
struct ErrorDetails {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string message;
  bool has_error_info = false;  // the error carried an ErrorInfo
  std::string reason;  // ErrorInfo.reason, e.g. UPSTREAM_NOT_FOUND
  std::string domain;  // ErrorInfo.domain: the provider, or "linkgateway"
  std::map<std::string, std::string> metadata;
  std::string upstream_request_id;  // for the provider's support
  std::optional<absl::Duration> retry_delay;
  bool has_bad_request = false;  // the error carried a BadRequest
  std::vector<std::pair<std::string, std::string>> field_violations;  // field, rule

  // Several lines: code and message, then the details that are present.
  std::string ToString() const;
};

// Unpacks the google.rpc.Status details a failed call carried.
ErrorDetails Explain(absl::Status const& status);

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  // A zero `timeout` means the default timeout.
  absl::StatusOr<v1::DeleteRegistrationResponse> DeleteRegistration(
      v1::DeleteRegistrationRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<v1::SubscriptionInfo> GetSubscriptionInfo(
      v1::GetSubscriptionInfoRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<v1::DeleteSubscriptionResponse> DeleteSubscription(
      v1::DeleteSubscriptionRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<v1::DeleteAppProfileResponse> DeleteAppProfile(
      v1::DeleteAppProfileRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<v1::ProfileTransaction> GetProfileTransaction(
      v1::GetProfileTransactionRequest const& request, absl::Duration timeout = {});

  // Unlink jobs: StartUnlink returns the job's operation at once (with a
  // fresh request_id unless the request has one, kept across attempts).
  absl::StatusOr<google::longrunning::Operation> StartUnlink(v1::StartUnlinkRequest const& request,
                                                             absl::Duration timeout = {});
  // Calls `on_update` with the job's metadata as it is, then after every
  // change; returns OK once the job is done. Not repeated on failure: the
  // caller watches again (or calls GetOperation).
  absl::Status WatchUnlink(v1::WatchUnlinkRequest const& request,
                           std::function<void(v1::UnlinkMetadata const&)> const& on_update,
                           absl::Duration timeout = {});

  // google.longrunning.Operations, as the gateway serves it for unlink jobs
  // (DeleteOperation is refused: UNIMPLEMENTED).
  absl::StatusOr<google::longrunning::Operation> GetOperation(
      google::longrunning::GetOperationRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<google::longrunning::ListOperationsResponse> ListOperations(
      google::longrunning::ListOperationsRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<google::protobuf::Empty> CancelOperation(
      google::longrunning::CancelOperationRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<google::longrunning::Operation> WaitOperation(
      google::longrunning::WaitOperationRequest const& request, absl::Duration timeout = {});
  absl::StatusOr<google::protobuf::Empty> DeleteOperation(
      google::longrunning::DeleteOperationRequest const& request, absl::Duration timeout = {});

  // grpc.health.v1.Health/Check.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> Check(
      grpc::health::v1::HealthCheckRequest const& request, absl::Duration timeout = {});

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // The deadline and the bearer token.
  void Prepare(grpc::ClientContext& context, absl::Time deadline) const;
  // One attempt after another, as max_attempts and the timeout allow.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(
      Stub& stub,
      grpc::Status (Stub::*method)(grpc::ClientContext*, Request const&, Response*),
      Request const& request, absl::Duration timeout);
  // The same for a delete: with the caller's request_id, or a fresh one.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Delete(
      Stub& stub,
      grpc::Status (Stub::*method)(grpc::ClientContext*, Request const&, Response*),
      Request const& request, absl::Duration timeout);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RegistrationService::Stub> registrations_;
  std::unique_ptr<v1::SubscriptionService::Stub> subscriptions_;
  std::unique_ptr<v1::AppProfileService::Stub> app_profiles_;
  std::unique_ptr<v1::UnlinkService::Stub> unlink_;
  std::unique_ptr<google::longrunning::Operations::Stub> operations_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// grpc::Status -> absl::Status; the details travel as a google.rpc.Status
// payload that Explain() reads.
absl::Status FromGrpcStatus(grpc::Status const& status);

}  // namespace linkgateway::clients::cpp

#endif  // LINKGATEWAY_CLIENTS_CPP_CLIENT_H_
