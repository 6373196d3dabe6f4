// The one path every RPC takes, from the moment its stream starts
// (stream_start_service.h): take a slot on the caller's connection and one
// of the gateway's (or answer RESOURCE_EXHAUSTED at once), authenticate,
// read the request, check its target, authorize (method and provider), check
// its enums and the provider's rules, answer a dry run or start the
// provider's operation with the caller's deadline and cancellation, audit a
// destructive call, and answer with the outcome.
#ifndef LINKGATEWAY_SERVER_CALL_DISPATCH_H_
#define LINKGATEWAY_SERVER_CALL_DISPATCH_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/upstream_text.h"
#include "adapters/operation/operation.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "grpcpp/support/server_callback.h"
#include "server/audit/audit_record.h"
#include "server/call/grpc_status.h"
#include "server/call/request_fields.h"
#include "server/call/serving.h"
#include "server/call/stream_start_service.h"
#include "server/call/validation.h"
#include "server/idempotency/records.h"

namespace linkgateway::server::call {

// The caller's deadline, or now + `default_deadline` when it sent none.
inline absl::Time EffectiveDeadline(grpc::CallbackServerContext const& context,
                                    absl::Duration default_deadline) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::Now() + default_deadline;
  }
  return absl::FromChrono(deadline);
}

// UNIMPLEMENTED naming the provider (the request's target field).
template <typename Request>
absl::Status ProviderNotServed(Request const& request) {
  auto const* field = request.GetDescriptor()->FindFieldByNumber(request.target_case());
  std::string provider = field == nullptr ? "unknown" : field->name();
  return adapters::errors::WithErrorInfo(
      absl::UnimplementedError(absl::StrCat("provider \"", provider, "\" does not serve ",
                                            request.GetDescriptor()->name(),
                                            " in this gateway yet")),
      adapters::errors::reason::kProviderNotImplemented, adapters::errors::kGatewayDomain,
      {{"provider", provider}});
}

// PERMISSION_DENIED: `principal` ("" = anonymous) may not call `method`
// (for `provider`, when the method names one), with an ErrorInfo.
inline absl::Status NotAllowed(std::string const& principal, std::string const& method,
                               std::string const& provider) {
  std::string who = principal.empty() ? "an anonymous caller" : principal;
  std::map<std::string, std::string> metadata = {{"method", method}};
  std::string message = absl::StrCat(who, " may not call ", method);
  if (!provider.empty()) {
    absl::StrAppend(&message, " for provider ", provider);
    metadata["provider"] = provider;
  }
  return adapters::errors::WithErrorInfo(absl::PermissionDeniedError(message),
                                         adapters::errors::reason::kPermissionDenied,
                                         adapters::errors::kGatewayDomain, metadata);
}

// A call refused at its start: answered at once, nothing read.
class RejectedCall final : public StreamStartService::Reactor {
 public:
  // `connection` (when set) is told once the answer has been delivered.
  RejectedCall(absl::Status const& status, ConnectionLimiter* connections = nullptr,
               std::string connection = "")
      : connections_(connections), connection_(std::move(connection)) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override {
    if (connections_ != nullptr) connections_->RefusalDone(connection_);
    delete this;
  }

 private:
  ConnectionLimiter* const connections_;
  std::string const connection_;
};

// Takes a slot on the caller's connection (`connection`, set to its peer)
// and one of the gateway's for a call whose stream just started: nullptr
// when both were taken, else the reactor that refuses the call at once.
inline StreamStartService::Reactor* AdmitOrRefuse(grpc::CallbackServerContext* context,
                                                  Serving const& serving, std::string& connection) {
  connection = context->peer();
  if (!serving.connections.TryAcquire(connection)) {
    serving.metrics.Rejected(adapters::errors::reason::kTooManyStreams);
    return new RejectedCall(serving.connections.TooManyStreams(), &serving.connections, connection);
  }
  if (!serving.limiter.TryAcquire()) {
    serving.connections.Release(connection);
    serving.metrics.Rejected(adapters::errors::reason::kOverloaded);
    return new RejectedCall(serving.limiter.Overloaded());
  }
  return nullptr;
}

// One unary call over the stream: one request message in, one answer out.
// Destructive calls (requests with validate_only) are audited: the record is
// on disk before the answer leaves, whatever the answer is.
template <typename Request, typename Response>
class UnaryCall final : public StreamStartService::Reactor {
 public:
  using Table = adapters::operation::OperationTable<Request, Response>;

  // The reactor for a stream that just started.
  static StreamStartService::Reactor* Start(grpc::CallbackServerContext* context,
                                            Table const& table, Serving const& serving,
                                            std::string const& method) {
    std::string connection;
    if (auto* refused = AdmitOrRefuse(context, serving, connection)) return refused;
    return new UnaryCall(context, table, serving, method, std::move(connection));
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Complete(adapters::errors::InvalidArgument(Request::descriptor()->name(),
                                                        {{"request", "the message is missing"}}));
    }
    grpc::ProtoBufferReader reader(&request_buffer_);
    if (!request_.ParseFromZeroCopyStream(&reader)) {
      return Complete(absl::InvalidArgumentError(
          absl::StrCat("the request is not a valid ", Request::descriptor()->full_name())));
    }
    request_buffer_.Clear();
    // Who: before anything about the request is checked.
    if (!caller_.ok()) return Complete(caller_.status());
    facts_.caller = *caller_;
    if (absl::Status valid = ValidateTarget(request_); !valid.ok()) {
      return Complete(std::move(valid));
    }
    // May they: before the request's fields are validated or anything sent.
    if (absl::Status allowed = Authorize(); !allowed.ok()) return Complete(std::move(allowed));
    if (absl::Status valid = ValidateEnums(request_); !valid.ok()) {
      return Complete(std::move(valid));
    }
    if (absl::Status valid = server::idempotency::ValidateRequestId(request_); !valid.ok()) {
      return Complete(std::move(valid));
    }
    auto const* entry = table_.Find(request_.target_case());
    if (entry == nullptr) return Complete(ProviderNotServed(request_));
    if (absl::Status valid = entry->validate(request_); !valid.ok()) {
      return Complete(std::move(valid));
    }
    if (ValidateOnly(request_)) {
      // A dry run: everything a real call would check, nothing sent.
      if (absl::Status ready = entry->operation->Preflight(); !ready.ok()) {
        return Complete(std::move(ready));
      }
      Response response;
      MarkValidateOnly(response);
      return Complete(std::move(response));
    }
    if (destructive_) {
      // Fail closed: no irreversible call the audit trail could not record.
      if (absl::Status ready = serving_.audit.Ready(); !ready.ok()) {
        return Complete(std::move(ready));
      }
    }
    std::string request_id = server::idempotency::IdempotencyIdOf(request_);
    if (request_id.empty()) return StartOperation(*entry);
    // A delete with a request_id: the first call with it runs, a repeat gets
    // the recorded outcome (AIP-155).
    idempotency_key_ = {facts_.caller.principal, facts_.method, request_id};
    fingerprint_ = idempotency::FingerprintOf(request_);
    serving_.idempotency.Begin(idempotency_key_, fingerprint_, Deadline() + absl::Seconds(5),
                               [this, entry](absl::StatusOr<server::idempotency::Begun> begun) {
                                 OnBegun(*entry, std::move(begun));
                               });
  }

  void OnCancel() override { cancellation_->Cancel(); }

  absl::Time Deadline() const { return EffectiveDeadline(*context_, serving_.default_deadline); }

  void StartOperation(typename Table::Entry const& entry) {
    adapters::operation::CallContext call_context{Deadline(), cancellation_, trace_};
    entry.operation->Start(call_context, request_, [this](absl::StatusOr<Response> result) {
      Complete(std::move(result));
    });
  }

  void OnBegun(typename Table::Entry const& entry,
               absl::StatusOr<server::idempotency::Begun> begun) {
    if (!begun.ok()) return Complete(begun.status());
    std::string const& request_id = idempotency_key_.request_id;
    switch (begun->state) {
      case server::idempotency::Begun::State::kStarted:
        claimed_ = true;
        return StartOperation(entry);
      case server::idempotency::Begun::State::kMismatch:
        return Complete(
            server::idempotency::RequestIdReused(Request::descriptor()->name(), request_id));
      case server::idempotency::Begun::State::kInProgress:
        return Complete(server::idempotency::RequestInProgress(request_id));
      case server::idempotency::Begun::State::kReplay:
        break;
    }
    facts_.replayed = true;
    if (!begun->record.ok()) return Complete(server::idempotency::ReplayedStatus(begun->record));
    Response response;
    if (!server::idempotency::ReplayedResponse(begun->record, response)) {
      return Complete(
          absl::InternalError("the recorded outcome of this request_id cannot be read"));
    }
    Complete(std::move(response));
  }

  // Keeps the outcome of a claimed request_id when a provider may have acted
  // on the call; otherwise lets the id go, so a retry can run.
  void SettleIdempotency(absl::StatusOr<Response> const& result) {
    if (!claimed_) return;
    claimed_ = false;
    if (trace_->sends.load() == 0) return serving_.idempotency.Abandon(idempotency_key_);
    serving_.idempotency.Finish(idempotency_key_,
                                server::idempotency::RecordOf(fingerprint_, result.status(),
                                                              result.ok() ? &*result : nullptr),
                                serving_.idempotency_retention);
  }

  void OnDone() override {
    ReleaseCallSlot();
    serving_.connections.Release(connection_);
    delete this;
  }

 private:
  UnaryCall(grpc::CallbackServerContext* context, Table const& table, Serving const& serving,
            std::string const& method, std::string connection)
      : context_(context),
        table_(table),
        serving_(serving),
        connection_(std::move(connection)),
        destructive_(IsDestructive(*Request::descriptor())),
        cancellation_(std::make_shared<adapters::async::Cancellation>()),
        trace_(std::make_shared<adapters::transport::UpstreamTrace>()),
        caller_(serving.authenticator.Authenticate(*context)) {
    facts_.method = method;
    facts_.start = absl::Now();
    facts_.caller.peer = connection_;
    auto const& metadata = context->client_metadata();
    if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
      // The caller's text goes into logs: valid UTF-8, no control characters, bounded.
      facts_.request_id =
          adapters::errors::SafeText(absl::string_view(it->second.data(), it->second.size()),
                                     adapters::errors::kMaxUpstreamIdBytes);
    }
    if (auto it = metadata.find("traceparent"); it != metadata.end()) {
      facts_.trace_id = audit::TraceIdOf(std::string(it->second.data(), it->second.size()));
    }
    StartRead(&request_buffer_);
  }

  absl::Status Authorize() {
    if (serving_.policy == nullptr) return absl::OkStatus();
    std::string provider = ProviderOf(request_);
    auto decision =
        serving_.policy->Get()->Evaluate({facts_.caller.principal, facts_.method, provider});
    facts_.policy_rule = decision.rule;
    if (decision.allowed) return absl::OkStatus();
    return NotAllowed(facts_.caller.principal, facts_.method, provider);
  }

  // Exactly once per call.
  void Complete(absl::StatusOr<Response> result) {
    SettleIdempotency(result);
    if (!destructive_) return Answer(std::move(result));
    record_ = audit::MakeAuditRecord(facts_, request_, result.status(),
                                     result.ok() ? &*result : nullptr, trace_.get(), absl::Now());
    result_ = std::move(result);
    serving_.audit.Append(record_, [this](absl::Status written) {
      serving_.metrics.AuditWritten(written.ok());
      if (!written.ok()) {
        result_ = AuditFailed(std::move(written));
        record_.Clear();  // the access log says what the caller was answered
      }
      Answer(std::move(result_));
    });
  }

  // The call's metrics and access-log line.
  void Report(absl::StatusOr<Response> const& result) {
    absl::string_view path = facts_.method;
    auto slash = path.rfind('/');
    std::string provider = ProviderOf(request_);
    serving_.metrics.Rpc(path.substr(1, slash - 1), path.substr(slash + 1), provider)
        .Finished(result.status().code(), absl::Now() - facts_.start);
    if (serving_.access_log == nullptr) return;
    if (!record_.has_time()) {
      record_ = audit::MakeAuditRecord(facts_, request_, result.status(),
                                       result.ok() ? &*result : nullptr, trace_.get(), absl::Now());
    }
    serving_.access_log->Write(record_);
  }

  // The answer when the record could not be written: nothing may pass
  // unrecorded. UNAVAILABLE when nothing went upstream; when something did,
  // UNKNOWN (not retried by standard policies) with what the provider said.
  absl::Status AuditFailed(absl::Status written) const {
    if (trace_->sends.load() == 0) return written;
    return adapters::errors::WithErrorInfo(
        absl::UnknownError(absl::StrCat(written.message(), "; the provider was called")),
        adapters::errors::reason::kAuditUnavailable, adapters::errors::kGatewayDomain,
        {{"upstreamOutcome", absl::StatusCodeToString(result_.status().code())}});
  }

  // The gateway-wide slot is for the call's work, which ends with its answer;
  // the answer's delivery is bounded by gRPC's memory quota and the stream
  // slot, kept until OnDone.
  void ReleaseCallSlot() {
    if (holds_call_slot_) serving_.limiter.Release();
    holds_call_slot_ = false;
  }

  void Answer(absl::StatusOr<Response> result) {
    ReleaseCallSlot();
    Report(result);
    if (!result.ok()) return Finish(ToGrpcStatus(result.status()));
    grpc::ProtoBufferWriter writer(&response_buffer_, grpc::kProtoBufferWriterMaxBufferLength,
                                   static_cast<int>(result->ByteSizeLong()));
    if (!result->SerializeToZeroCopyStream(&writer)) {
      return Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response"));
    }
    StartWriteAndFinish(&response_buffer_, grpc::WriteOptions(), grpc::Status::OK);
  }

  grpc::CallbackServerContext* const context_;
  Table const& table_;
  Serving const& serving_;
  std::string const connection_;
  bool const destructive_;
  std::shared_ptr<adapters::async::Cancellation> const cancellation_;
  std::shared_ptr<adapters::transport::UpstreamTrace> const trace_;
  absl::StatusOr<security::Caller> const caller_;
  audit::CallFacts facts_;
  grpc::ByteBuffer request_buffer_;
  grpc::ByteBuffer response_buffer_;
  bool holds_call_slot_ = true;
  linkgateway::audit::v1::AuditRecord record_;  // set once built
  server::idempotency::IdempotencyKey idempotency_key_;
  std::string fingerprint_;
  bool claimed_ = false;  // this call holds its request_id's claim
  Request request_;
  absl::StatusOr<Response> result_;
};

// Serves `table` as method `name` of `service`.
template <typename Request, typename Response>
void AddUnary(StreamStartService& service, std::string const& service_name,
              std::string const& method,
              adapters::operation::OperationTable<Request, Response> const& table,
              Serving const& serving) {
  std::string path = absl::StrCat("/", service_name, "/", method);
  service.Add(path, [&table, &serving, path](grpc::CallbackServerContext* context) {
    return UnaryCall<Request, Response>::Start(context, table, serving, path);
  });
}

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_DISPATCH_H_
