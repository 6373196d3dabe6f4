#include "server/call/stream_call.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/errors/status_details.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "server/call/admission.h"
#include "server/call/grpc_status.h"
#include "server/call/incoming.h"

namespace linkgateway::server::call {
namespace {

// Messages a slow reader may have waiting; older ones are dropped first
// (the last always stays: it is where things stand).
constexpr std::size_t kMaxQueued = 256;

class StreamCall final : public StreamStartService::Reactor {
 public:
  StreamCall(grpc::CallbackServerContext* context, Method const& method, Pipeline const& pipeline,
             std::string connection)
      : method_(method),
        pipeline_(pipeline),
        admitted_(pipeline.serving(), connection),
        call_(CallOf(*context, pipeline.serving(), method.path(), connection)),
        request_(method.request_prototype().New()),
        sink_(std::make_shared<Sink>()) {
    {
      absl::MutexLock lock(&sink_->mu);
      sink_->call = this;
    }
    StartRead(&read_buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Fail(adapters::errors::InvalidArgument(request_->GetDescriptor()->name(),
                                                    {{"request", "the message is missing"}}));
    }
    grpc::ProtoBufferReader reader(&read_buffer_);
    if (!request_->ParseFromZeroCopyStream(&reader)) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("the request is not a valid ", request_->GetDescriptor()->full_name())));
    }
    pipeline_.Admit(call_, method_, request_, [this](Outcome outcome) {
      if (absl::StatusOr<Method::Response> admitted = AnswerOf(outcome, *call_); !admitted.ok()) {
        return Fail(admitted.status());
      }
      // Opening may finish after the caller went away: the sink says
      // whether this reactor still lives.
      method_.Open(*call_, *request_, sink_, [sink = sink_](absl::StatusOr<Method::Stop> stop) {
        sink->Opened(std::move(stop));
      });
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The caller went away: finish (Finish must still be called).
      absl::MutexLock lock(&sink_->mu);
      sink_->cancelled = true;
    }
    sink_->WriteNext();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&sink_->mu);
      sink_->cancelled = true;
    }
    sink_->WriteNext(/*after_write=*/false);
  }

  void OnDone() override {
    Method::Stop stop;
    {
      absl::MutexLock lock(&sink_->mu);
      sink_->call = nullptr;
      stop = std::move(sink_->stop);
    }
    if (stop) std::move(stop)();
    admitted_.Release();
    delete this;
  }

 private:
  // What the method writes to; it reaches the reactor only while the
  // stream lives (OnDone detaches it).
  struct Sink final : StreamSink {
    absl::Mutex mu;
    StreamCall* call ABSL_GUARDED_BY(mu) = nullptr;
    std::deque<std::string> queue ABSL_GUARDED_BY(mu);
    bool done ABSL_GUARDED_BY(mu) = false;
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool cancelled ABSL_GUARDED_BY(mu) = false;
    Method::Stop stop ABSL_GUARDED_BY(mu);

    void Opened(absl::StatusOr<Method::Stop> opened) {
      absl::ReleasableMutexLock lock(&mu);
      if (call == nullptr) {
        lock.Release();
        if (opened.ok()) std::move (*opened)();  // nobody listens any more
        return;
      }
      if (!opened.ok()) {
        StreamCall* target = call;
        finished = true;
        lock.Release();
        return target->Fail(opened.status(), /*already_finished=*/true);
      }
      stop = *std::move(opened);
      // A stream lasts as long as what it follows: it holds its
      // connection's stream slot, not one of the gateway's calls.
      call->admitted_.ReleaseCallSlot();
    }

    void Write(google::protobuf::Message const& message, bool last) override {
      {
        absl::MutexLock lock(&mu);
        if (call == nullptr || finished || done) return;
        queue.push_back(message.SerializeAsString());
        while (queue.size() > kMaxQueued) queue.pop_front();
        done = last;
        if (writing) return;
      }
      WriteNext(/*after_write=*/false);
    }

    // Writes the next message, or finishes once the last is written.
    void WriteNext(bool after_write = true) {
      StreamCall* target;
      grpc::Status finish;
      bool write = false, end = false;
      {
        absl::MutexLock lock(&mu);
        if (call == nullptr || finished) return;
        target = call;
        if (after_write) writing = false;
        if (writing) return;
        if (cancelled) {
          finished = end = true;
          finish = grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled");
        } else if (!queue.empty()) {
          target->write_buffer_.Clear();
          grpc::Slice slice(queue.front());
          target->write_buffer_ = grpc::ByteBuffer(&slice, 1);
          queue.pop_front();
          writing = write = true;
        } else if (done) {
          finished = end = true;
          finish = grpc::Status::OK;
        }
      }
      if (write) target->StartWrite(&target->write_buffer_);
      if (end) target->End(finish);
    }
  };

  void End(grpc::Status const& status) {
    Report(pipeline_.serving(), *call_, *request_,
           absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()),
           nullptr, nullptr);
    Finish(status);
  }

  void Fail(absl::Status const& status, bool already_finished = false) {
    if (!already_finished) {
      absl::MutexLock lock(&sink_->mu);
      sink_->finished = true;
    }
    admitted_.ReleaseCallSlot();
    Report(pipeline_.serving(), *call_, *request_, status, nullptr, nullptr);
    Finish(ToGrpcStatus(status));
  }

  Method const& method_;
  Pipeline const& pipeline_;
  Admitted admitted_;
  std::shared_ptr<Call> const call_;
  std::shared_ptr<google::protobuf::Message> const request_;
  std::shared_ptr<Sink> const sink_;
  grpc::ByteBuffer read_buffer_;
  grpc::ByteBuffer write_buffer_;
};

}  // namespace

StreamStartService::Reactor* StartStreamCall(grpc::CallbackServerContext* context,
                                             Method const& method, Pipeline const& pipeline) {
  std::string connection;
  if (auto* refused = AdmitOrRefuse(context, pipeline.serving(), connection)) return refused;
  return new StreamCall(context, method, pipeline, std::move(connection));
}

}  // namespace linkgateway::server::call
