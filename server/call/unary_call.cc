#include "server/call/unary_call.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/errors/status_details.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "server/call/admission.h"
#include "server/call/grpc_status.h"
#include "server/call/incoming.h"

namespace linkgateway::server::call {
namespace {

class UnaryCall final : public StreamStartService::Reactor {
 public:
  UnaryCall(grpc::CallbackServerContext* context, Method const& method, Pipeline const& pipeline,
            std::string connection)
      : method_(method),
        pipeline_(pipeline),
        admitted_(pipeline.serving(), connection),
        call_(CallOf(*context, pipeline.serving(), method.path(), connection)),
        request_(method.request_prototype().New()) {
    StartRead(&buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Answer(adapters::errors::InvalidArgument(request_->GetDescriptor()->name(),
                                                      {{"request", "the message is missing"}}));
    }
    grpc::ProtoBufferReader reader(&buffer_);
    if (!request_->ParseFromZeroCopyStream(&reader)) {
      return Answer(absl::InvalidArgumentError(
          absl::StrCat("the request is not a valid ", request_->GetDescriptor()->full_name())));
    }
    buffer_.Clear();
    pipeline_.Run(call_, method_, request_, [this](Outcome outcome) {
      absl::StatusOr<Method::Response> answer = AnswerOf(outcome, *call_);
      // The access log says what the caller was answered.
      Answer(std::move(answer), outcome.audit.ok() ? &outcome.record : nullptr);
    });
  }

  void OnCancel() override { call_->cancellation->Cancel(); }

  void OnDone() override {
    admitted_.Release();
    delete this;
  }

 private:
  void Answer(absl::StatusOr<Method::Response> answer,
              linkgateway::audit::v1::AuditRecord const* record = nullptr) {
    admitted_.ReleaseCallSlot();
    Report(pipeline_.serving(), *call_, *request_, answer.status(),
           answer.ok() ? answer->get() : nullptr, record);
    if (!answer.ok()) return Finish(ToGrpcStatus(answer.status()));
    google::protobuf::Message const& response = **answer;
    grpc::ProtoBufferWriter writer(&buffer_, grpc::kProtoBufferWriterMaxBufferLength,
                                   static_cast<int>(response.ByteSizeLong()));
    if (!response.SerializeToZeroCopyStream(&writer)) {
      return Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response"));
    }
    StartWriteAndFinish(&buffer_, grpc::WriteOptions(), grpc::Status::OK);
  }

  Method const& method_;
  Pipeline const& pipeline_;
  Admitted admitted_;
  std::shared_ptr<Call> const call_;
  std::shared_ptr<google::protobuf::Message> const request_;
  grpc::ByteBuffer buffer_;
};

}  // namespace

StreamStartService::Reactor* StartUnaryCall(grpc::CallbackServerContext* context,
                                            Method const& method, Pipeline const& pipeline) {
  std::string connection;
  if (auto* refused = AdmitOrRefuse(context, pipeline.serving(), connection)) return refused;
  return new UnaryCall(context, method, pipeline, std::move(connection));
}

}  // namespace linkgateway::server::call
