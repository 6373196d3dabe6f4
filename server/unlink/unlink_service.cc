#include "server/unlink/unlink_service.h"

#include <stdlib.h>
#include <unistd.h>

#include <deque>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "config/config.h"
#include "config/secrets.h"
#include "google/longrunning/operations.pb.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "linkgateway/v1/unlink.pb.h"
#include "observability/log/log.h"
#include "server/call/dispatch.h"
#include "server/call/grpc_status.h"
#include "server/unlink/postgres_job_store.h"
#include "server/unlink/sqlite_job_store.h"

namespace linkgateway::server::unlink {
namespace {

constexpr char kUnlinkService[] = "linkgateway.v1.UnlinkService";
constexpr char kOperations[] = "google.longrunning.Operations";

// Snapshots a slow watcher may have waiting; older ones are dropped first
// (the last always stays: it is the job as it stands).
constexpr std::size_t kMaxQueuedSnapshots = 256;

bool Serialize(google::protobuf::Message const& message, grpc::ByteBuffer& out) {
  grpc::ProtoBufferWriter writer(&out, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(message.ByteSizeLong()));
  return message.SerializeToZeroCopyStream(&writer);
}

// What every job call does after its admission (AdmitOrRefuse): the
// caller's identity and the policy for the method.
class JobCall : public server::call::StreamStartService::Reactor {
 protected:
  JobCall(grpc::CallbackServerContext* context, server::call::Serving const& serving,
          std::string method, std::string connection)
      : context_(context),
        serving_(serving),
        method_(std::move(method)),
        connection_(std::move(connection)),
        start_(absl::Now()),
        caller_(serving.authenticator.Authenticate(*context)) {}

  // OK when the caller is known and the policy lets it call this method.
  absl::Status Admitted() const {
    if (!caller_.ok()) return caller_.status();
    if (serving_.policy == nullptr) return absl::OkStatus();
    auto decision = serving_.policy->Get()->Evaluate({caller_->principal, method_, ""});
    if (decision.allowed) return absl::OkStatus();
    return server::call::NotAllowed(caller_->principal, method_, "");
  }

  void ReleaseCallSlot() {
    if (holds_call_slot_) serving_.limiter.Release();
    holds_call_slot_ = false;
  }

  void Report(absl::StatusCode code) {
    absl::string_view path = method_;
    auto slash = path.rfind('/');
    serving_.metrics.Rpc(path.substr(1, slash - 1), path.substr(slash + 1), "")
        .Finished(code, absl::Now() - start_);
  }

  void ReleaseConnection() { serving_.connections.Release(connection_); }

  absl::Time Deadline() const {
    return server::call::EffectiveDeadline(*context_, serving_.default_deadline);
  }

  grpc::CallbackServerContext* const context_;
  server::call::Serving const& serving_;
  std::string const method_;
  std::string const connection_;
  absl::Time const start_;
  absl::StatusOr<security::Caller> const caller_;
  bool holds_call_slot_ = true;
};

// One request, one answer; `handler` answers through `done` (any thread).
template <typename Request, typename Response>
class UnaryJobCall final : public JobCall {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;
  using Handler =
      std::function<void(security::Caller const&, Request const&, absl::Time, Done)>;

  static server::call::StreamStartService::Reactor* Start(grpc::CallbackServerContext* context,
                                                          server::call::Serving const& serving,
                                                          std::string method,
                                                          Handler const& handler) {
    std::string connection;
    if (auto* refused = server::call::AdmitOrRefuse(context, serving, connection)) return refused;
    return new UnaryJobCall(context, serving, std::move(method), std::move(connection), handler);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Answer(adapters::errors::InvalidArgument(Request::descriptor()->name(),
                                                      {{"request", "the message is missing"}}));
    }
    grpc::ProtoBufferReader reader(&buffer_);
    if (!request_.ParseFromZeroCopyStream(&reader)) {
      return Answer(absl::InvalidArgumentError(
          absl::StrCat("the request is not a valid ", Request::descriptor()->full_name())));
    }
    if (absl::Status admitted = Admitted(); !admitted.ok()) return Answer(admitted);
    handler_(*caller_, request_, Deadline(),
             [this](absl::StatusOr<Response> result) { Answer(std::move(result)); });
  }

  void OnDone() override {
    ReleaseCallSlot();
    ReleaseConnection();
    delete this;
  }

 private:
  UnaryJobCall(grpc::CallbackServerContext* context, server::call::Serving const& serving,
               std::string method, std::string connection, Handler const& handler)
      : JobCall(context, serving, std::move(method), std::move(connection)), handler_(handler) {
    StartRead(&buffer_);
  }

  void Answer(absl::StatusOr<Response> result) {
    ReleaseCallSlot();
    Report(result.status().code());
    if (!result.ok()) return Finish(server::call::ToGrpcStatus(result.status()));
    buffer_.Clear();
    if (!Serialize(*result, buffer_)) {
      return Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the response"));
    }
    StartWriteAndFinish(&buffer_, grpc::WriteOptions(), grpc::Status::OK);
  }

  Handler const& handler_;
  grpc::ByteBuffer buffer_;
  Request request_;
};

// WatchUnlink: the job's metadata as it is, then after every change, until
// it is done. The engine's watcher reaches this reactor only through
// `State`, which OnDone detaches.
class WatchCall final : public JobCall {
 public:
  static server::call::StreamStartService::Reactor* Start(grpc::CallbackServerContext* context,
                                                          server::call::Serving const& serving,
                                                          std::string method,
                                                          UnlinkEngine& engine) {
    std::string connection;
    if (auto* refused = server::call::AdmitOrRefuse(context, serving, connection)) return refused;
    return new WatchCall(context, serving, std::move(method), std::move(connection), engine);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Fail(adapters::errors::InvalidArgument("WatchUnlinkRequest",
                                                    {{"request", "the message is missing"}}));
    }
    grpc::ProtoBufferReader reader(&read_buffer_);
    if (!request_.ParseFromZeroCopyStream(&reader)) {
      return Fail(absl::InvalidArgumentError("the request is not a valid WatchUnlinkRequest"));
    }
    if (absl::Status admitted = Admitted(); !admitted.ok()) return Fail(admitted);
    if (request_.name().empty()) {
      return Fail(adapters::errors::InvalidArgument(
          "WatchUnlinkRequest", {{"name", "the operation's name is required"}}));
    }
    std::shared_ptr<State> state = state_;
    auto handle = engine_.Watch(*caller_, request_.name(),
                                [state](v1::UnlinkMetadata const& metadata, bool done) {
                                  state->Push(metadata, done);
                                });
    if (!handle.ok()) return Fail(handle.status());
    {
      absl::MutexLock lock(&state_->mu);
      handle_ = *handle;
    }
    // A watch lasts as long as the job: it holds its connection's stream
    // slot, not one of the gateway's calls in flight.
    ReleaseCallSlot();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The caller went away: finish (Finish must still be called).
      absl::MutexLock lock(&state_->mu);
      state_->cancelled = true;
    }
    state_->WriteNext();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->cancelled = true;
    }
    state_->WriteNext(/*after_write=*/false);
  }

  void OnDone() override {
    std::int64_t handle;
    {
      absl::MutexLock lock(&state_->mu);
      state_->call = nullptr;
      handle = handle_;
    }
    if (handle != 0) engine_.Unwatch(handle);
    ReleaseCallSlot();
    ReleaseConnection();
    delete this;
  }

 private:
  struct State {
    absl::Mutex mu;
    WatchCall* call ABSL_GUARDED_BY(mu) = nullptr;
    std::deque<v1::UnlinkMetadata> queue ABSL_GUARDED_BY(mu);
    bool done ABSL_GUARDED_BY(mu) = false;
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool cancelled ABSL_GUARDED_BY(mu) = false;

    void Push(v1::UnlinkMetadata const& metadata, bool job_done) {
      {
        absl::MutexLock lock(&mu);
        if (call == nullptr || finished || done) return;
        queue.push_back(metadata);
        while (queue.size() > kMaxQueuedSnapshots) queue.pop_front();
        done = job_done;
        if (writing) return;
      }
      WriteNext(/*after_write=*/false);
    }

    // Writes the next snapshot, or finishes once the job is done and all
    // are written.
    void WriteNext(bool after_write = true) {
      WatchCall* target;
      grpc::Status finish;
      bool write = false, end = false;
      {
        absl::MutexLock lock(&mu);
        if (call == nullptr || finished) return;
        target = call;
        if (after_write) writing = false;
        if (writing) return;
        if (cancelled) {
          finished = true;
          end = true;
          finish = grpc::Status(grpc::StatusCode::CANCELLED, "the watch was cancelled");
        } else if (!queue.empty()) {
          target->write_buffer_.Clear();
          if (!Serialize(queue.front(), target->write_buffer_)) {
            finished = true;
            end = true;
            finish = grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the metadata");
          } else {
            queue.pop_front();
            writing = true;
            write = true;
          }
        } else if (done) {
          finished = true;
          end = true;
          finish = grpc::Status::OK;
        }
      }
      if (write) target->StartWrite(&target->write_buffer_);
      if (end) {
        target->Report(static_cast<absl::StatusCode>(finish.error_code()));
        target->Finish(finish);
      }
    }
  };

  WatchCall(grpc::CallbackServerContext* context, server::call::Serving const& serving,
            std::string method, std::string connection, UnlinkEngine& engine)
      : JobCall(context, serving, std::move(method), std::move(connection)),
        engine_(engine),
        state_(std::make_shared<State>()) {
    {
      absl::MutexLock lock(&state_->mu);
      state_->call = this;
    }
    StartRead(&read_buffer_);
  }

  void Fail(absl::Status const& status) {
    {
      absl::MutexLock lock(&state_->mu);
      state_->finished = true;
    }
    ReleaseCallSlot();
    Report(status.code());
    Finish(server::call::ToGrpcStatus(status));
  }

  UnlinkEngine& engine_;
  std::shared_ptr<State> const state_;
  std::int64_t handle_ = 0;  // under state_->mu
  grpc::ByteBuffer read_buffer_;
  grpc::ByteBuffer write_buffer_;
  v1::WatchUnlinkRequest request_;
};

template <typename Request, typename Response>
void AddUnaryJob(server::call::StreamStartService& service, char const* service_name,
                 char const* method, server::call::Serving const& serving,
                 typename UnaryJobCall<Request, Response>::Handler handler) {
  std::string path = absl::StrCat("/", service_name, "/", method);
  auto shared = std::make_shared<typename UnaryJobCall<Request, Response>::Handler>(
      std::move(handler));
  service.Add(path, [shared, &serving, path](grpc::CallbackServerContext* context) {
    return UnaryJobCall<Request, Response>::Start(context, serving, path, *shared);
  });
}

absl::StatusOr<std::filesystem::path> TemporaryDirectory() {
  char const* base = getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                                     "/linkgateway-unlink-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temporary directory for unlink jobs at ", pattern));
  }
  return std::filesystem::path(pattern);
}

std::string DefaultOwner(config::GatewayConfig const& config) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string owner = absl::StrCat(host, "/", config.listen_address());
  // Port 0 names no particular gateway: two on one host must differ.
  if (absl::EndsWith(config.listen_address(), ":0")) absl::StrAppend(&owner, "/", getpid());
  return owner;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnlinkServices>> UnlinkServices::Create(
    config::GatewayConfig const& config, server::call::Serving const& serving) {
  auto const& unlink = config.unlink();
  std::filesystem::path temporary;
  absl::StatusOr<std::unique_ptr<JobStore>> store;
  if (unlink.has_postgres()) {
    auto conninfo = config::ResolveSecret(unlink.postgres(), "unlink.postgres");
    if (!conninfo.ok()) return conninfo.status();
    store = PostgresJobStore::Open(*std::move(conninfo));
    if (store.ok())
      observability::log::Info("unlink jobs are kept in PostgreSQL (unlink.postgres)");
  } else {
    std::string directory = unlink.state_directory();
    if (directory.empty()) {
      auto made = TemporaryDirectory();
      if (!made.ok()) return made.status();
      temporary = *made;
      directory = temporary.string();
      observability::log::Warning("unlink jobs are kept in the temporary directory ", directory,
                                  ", removed at exit: they do not survive a restart (set "
                                  "unlink.state_directory)");
    }
    store = SqliteJobStore::Open(directory + "/unlink-jobs.sqlite3");
  }
  if (!store.ok()) return store.status();
  EngineOptions options;
  options.owner = unlink.replica_id().empty() ? DefaultOwner(config) : unlink.replica_id();
  options.max_steps_in_flight = unlink.max_steps_in_flight();
  options.step_deadline = config::ToDuration(unlink.step_deadline());
  options.follow_for = config::ToDuration(unlink.follow_for());
  options.follow_interval = config::ToDuration(unlink.follow_interval());
  options.lease = config::ToDuration(unlink.lease());
  options.retention = config::ToDuration(unlink.retention());
  options.metrics = &serving.metrics;
  return std::unique_ptr<UnlinkServices>(
      new UnlinkServices(serving, *std::move(store), std::move(temporary), std::move(options)));
}

UnlinkServices::UnlinkServices(server::call::Serving const& serving,
                               std::unique_ptr<JobStore> store, std::filesystem::path temporary,
                               EngineOptions options)
    : serving_(serving), store_(std::move(store)), temporary_(std::move(temporary)) {
  engine_ = std::make_unique<UnlinkEngine>(*store_, serving.providers, serving.policy,
                                           serving.audit, std::move(options));
  UnlinkEngine* engine = engine_.get();
  using google::longrunning::Operation;
  AddUnaryJob<v1::StartUnlinkRequest, Operation>(
      unlink_, kUnlinkService, "StartUnlink", serving,
      [engine](security::Caller const& caller, v1::StartUnlinkRequest const& request, absl::Time,
               auto done) { std::move(done)(engine->Start(caller, request)); });
  unlink_.Add(absl::StrCat("/", kUnlinkService, "/WatchUnlink"),
              [engine, &serving](grpc::CallbackServerContext* context) {
                return WatchCall::Start(context, serving,
                                        absl::StrCat("/", kUnlinkService, "/WatchUnlink"),
                                        *engine);
              });
  AddUnaryJob<google::longrunning::ListOperationsRequest,
              google::longrunning::ListOperationsResponse>(
      operations_, kOperations, "ListOperations", serving,
      [engine](security::Caller const& caller,
               google::longrunning::ListOperationsRequest const& request, absl::Time,
               auto done) { std::move(done)(engine->List(caller, request)); });
  AddUnaryJob<google::longrunning::GetOperationRequest, Operation>(
      operations_, kOperations, "GetOperation", serving,
      [engine](security::Caller const& caller,
               google::longrunning::GetOperationRequest const& request, absl::Time,
               auto done) { std::move(done)(engine->Get(caller, request.name())); });
  AddUnaryJob<google::longrunning::DeleteOperationRequest, google::protobuf::Empty>(
      operations_, kOperations, "DeleteOperation", serving,
      [](security::Caller const&, google::longrunning::DeleteOperationRequest const&, absl::Time,
         auto done) {
        std::move(done)(absl::UnimplementedError(
            "unlink jobs are not deleted: a finished job is the record of what was deleted "
            "(kept for unlink.retention)"));
      });
  AddUnaryJob<google::longrunning::CancelOperationRequest, google::protobuf::Empty>(
      operations_, kOperations, "CancelOperation", serving,
      [engine](security::Caller const& caller,
               google::longrunning::CancelOperationRequest const& request, absl::Time,
               auto done) {
        absl::Status cancelled = engine->Cancel(caller, request.name());
        if (!cancelled.ok()) return std::move(done)(cancelled);
        std::move(done)(google::protobuf::Empty());
      });
  AddUnaryJob<google::longrunning::WaitOperationRequest, Operation>(
      operations_, kOperations, "WaitOperation", serving,
      [engine](security::Caller const& caller,
               google::longrunning::WaitOperationRequest const& request, absl::Time deadline,
               auto done) {
        absl::Time until = deadline;
        if (request.has_timeout()) {
          until = std::min(until, absl::Now() + config::ToDuration(request.timeout()));
        }
        // Answer a little before the caller's deadline, so it gets the
        // operation rather than DEADLINE_EXCEEDED.
        until = std::min(until, deadline - absl::Milliseconds(100));
        engine->Wait(caller, request.name(), until, std::move(done));
      });
  engine_->StartBackgroundWork();
}

UnlinkServices::~UnlinkServices() {
  engine_.reset();
  store_.reset();
  if (!temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temporary_, ignored);
  }
}

std::vector<std::string> UnlinkServices::service_names() const {
  return {kUnlinkService, kOperations};
}

ExtensionFactory UnlinkServicesFactory() {
  return [](config::GatewayConfig const& config, server::call::Serving const& serving)
             -> absl::StatusOr<std::unique_ptr<ServiceExtension>> {
    auto services = UnlinkServices::Create(config, serving);
    if (!services.ok()) return services.status();
    return std::unique_ptr<ServiceExtension>(*std::move(services));
  };
}

}  // namespace linkgateway::server::unlink
