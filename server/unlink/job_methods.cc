#include "server/unlink/job_methods.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "config/config.h"
#include "google/longrunning/operations.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/rpc/error_details.pb.h"
#include "linkgateway/v1/unlink.pb.h"
#include "server/call/refusals.h"
#include "server/request/request_fields.h"
#include "server/unlink/operations.h"
#include "server/unlink/unlink_plan.h"

namespace linkgateway::server::unlink {
namespace {

namespace lro = google::longrunning;
using google::protobuf::Message;

constexpr char kUnlinkService[] = "linkgateway.v1.UnlinkService";
constexpr char kOperations[] = "google.longrunning.Operations";

// A job method: its request and response types, its path, and whether it
// changes jobs (then it is audited).
template <typename Req, typename Resp>
class JobMethod : public call::Method {
 public:
  JobMethod(UnlinkEngine& engine, char const* service, char const* name, bool audited)
      : engine_(engine), path_(absl::StrCat("/", service, "/", name)), audited_(audited) {}

  std::string const& path() const override { return path_; }
  Message const& request_prototype() const override { return Req::default_instance(); }
  Message const& response_prototype() const override { return Resp::default_instance(); }
  bool audited() const override { return audited_; }

 protected:
  static Req const& Typed(Message const& request) { return static_cast<Req const&>(request); }
  template <typename T>
  static Answer<T> Reply(Done done) {
    return [done = std::move(done)](absl::StatusOr<T> result) mutable {
      if (!result.ok()) return std::move(done)(result.status());
      std::move(done)(Response(std::make_shared<Resp>(*std::move(result))));
    };
  }

  UnlinkEngine& engine_;

 private:
  std::string const path_;
  bool const audited_;
};

// Methods that name one operation (`name`).
template <typename Req, typename Resp>
class NamedJobMethod : public JobMethod<Req, Resp> {
 public:
  using JobMethod<Req, Resp>::JobMethod;
  absl::Status CheckTarget(Message const& request) const override {
    if (!this->Typed(request).name().empty()) return absl::OkStatus();
    return adapters::errors::InvalidArgument(Req::descriptor()->name(),
                                             {{"name", "the operation's name is required"}});
  }
};

// Each target as the single delete it stands for, with the method the
// single RPC is served by.
struct Planned {
  SingleDelete single;
  call::Method const* method = nullptr;
};

// A target's refusal as the single delete it stands for gave it, its
// BadRequest fields made paths into the start request: the delete's key
// ("imiconnect.account") is the target's field
// ("targets[0].imiconnect_app_profile.account").
absl::Status AtTarget(std::string const& field, Planned const& planned, absl::Status status) {
  google::rpc::BadRequest bad;
  if (!status.ok() && adapters::errors::FindDetail(status, bad)) {
    std::string const& key = planned.single.provider;
    for (auto& violation : *bad.mutable_field_violations()) {
      absl::string_view path = violation.field();
      if (path == key || absl::StartsWith(path, absl::StrCat(key, "."))) {
        violation.set_field(absl::StrCat(planned.single.target_field, path.substr(key.size())));
      }
    }
    adapters::errors::AttachDetail(status, bad);
  }
  return call::Within(field, std::move(status));
}

class StartUnlink final : public JobMethod<v1::StartUnlinkRequest, lro::Operation> {
 public:
  StartUnlink(UnlinkEngine& engine, call::MethodSet const& methods)
      : JobMethod(engine, kUnlinkService, "StartUnlink", /*audited=*/true), methods_(methods) {}

  absl::Status CheckTarget(Message const& request) const override {
    if (absl::Status valid = ValidateStart(Typed(request)); !valid.ok()) return valid;
    return ForEachTarget(request, [](std::string const& field, Planned const& planned) {
      return AtTarget(field, planned, planned.method->CheckTarget(*planned.single.request));
    });
  }
  // The job method, and each target as the single delete it stands for
  // (its account resolved as that delete resolves it).
  std::vector<call::Access> Accesses(Message const& request) const override {
    std::vector<call::Access> accesses = {{path(), "", "", ""}};
    (void)ForEachTarget(request, [&accesses](std::string const& field, Planned const& planned) {
      for (call::Access access : planned.method->Accesses(*planned.single.request)) {
        access.field = field;
        accesses.push_back(std::move(access));
      }
      return absl::OkStatus();
    });
    return accesses;
  }
  absl::Status Check(Message const& request) const override {
    return ForEachTarget(request, [](std::string const& field, Planned const& planned) {
      return AtTarget(field, planned, planned.method->Check(*planned.single.request));
    });
  }
  // Everything a job checks before it starts (every target's provider
  // configured too); nothing stored or sent.
  absl::StatusOr<Response> DryRun(call::Call const& call, Message const& request) const override {
    absl::Status ready = ForEachTarget(request, [&call](std::string const& field,
                                                        Planned const& planned) {
      return call::Within(field, planned.method->DryRun(call, *planned.single.request).status());
    });
    if (!ready.ok()) return ready;
    v1::StartUnlinkRequest const start = WithAccounts(request);
    v1::UnlinkMetadata m;
    m.set_name(NewOperationName());
    m.set_caller(call.facts.caller.principal);
    m.set_request_id(start.request_id());
    m.set_validate_only(true);
    *m.mutable_create_time() = Stamp(call.facts.start);
    *m.mutable_update_time() = Stamp(call.facts.start);
    for (auto const& target : start.targets()) {
      auto* step = m.add_steps();
      *step->mutable_target() = Redacted(target);
      step->set_state(v1::UNLINK_STEP_STATE_PENDING);
      *step->mutable_update_time() = Stamp(call.facts.start);
    }
    auto op = std::make_shared<lro::Operation>();
    op->set_name(m.name());
    op->set_done(true);
    op->mutable_metadata()->PackFrom(m);
    v1::UnlinkResult result;
    *result.mutable_steps() = m.steps();
    op->mutable_response()->PackFrom(result);
    return Response(std::move(op));
  }
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    engine_.Start(
        call->facts.caller, WithAccounts(*request), call->deadline,
        [call, request, done = std::move(done)](absl::StatusOr<lro::Operation> op) mutable {
          // The start's record names the job (its steps' records
          // name their targets).
          if (op.ok()) call->unlink_operation = op->name();
          if (!op.ok()) return std::move(done)(op.status());
          std::move(done)(Response(std::make_shared<lro::Operation>(*std::move(op))));
        });
  }

 private:
  // f(field, planned) for each target until one fails.
  template <typename F>
  absl::Status ForEachTarget(Message const& request, F&& f) const {
    auto const& start = Typed(request);
    for (int i = 0; i < start.targets_size(); ++i) {
      std::string field = absl::StrCat("targets[", i, "]");
      auto single = SingleDeleteFor(start.targets(i));
      if (!single.ok()) return call::Within(field, single.status());
      call::Method const* method = methods_.ForRequest(single->request->GetDescriptor());
      if (method == nullptr) {
        return call::Within(field, absl::UnimplementedError(absl::StrCat(
                                       "no delete RPC of this gateway takes this target")));
      }
      Planned planned{*std::move(single), method};
      if (absl::Status s = f(field, planned); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // The request with every target's account named: a target that names
  // none gets its provider's default now, so the job's steps (and their
  // resumption after a restart, or a change of the default) use the account
  // the job was started with.
  v1::StartUnlinkRequest WithAccounts(Message const& request) const {
    v1::StartUnlinkRequest start = Typed(request);
    int index = 0;
    (void)ForEachTarget(request, [&start, &index](std::string const&, Planned const& planned) {
      auto accesses = planned.method->Accesses(*planned.single.request);
      auto* target = start.mutable_targets(index++);
      if (accesses.size() == 1 && request::AccountOf(*target).empty()) {
        request::SetAccount(*target, accesses.front().account);
      }
      return absl::OkStatus();
    });
    return start;
  }

  call::MethodSet const& methods_;
};

class WatchUnlink final : public NamedJobMethod<v1::WatchUnlinkRequest, v1::UnlinkMetadata> {
 public:
  explicit WatchUnlink(UnlinkEngine& engine)
      : NamedJobMethod(engine, kUnlinkService, "WatchUnlink", /*audited=*/false) {}
  bool streaming() const override { return true; }
  void Run(std::shared_ptr<call::Call>, std::shared_ptr<Message const>, Done done) const override {
    std::move(done)(absl::UnimplementedError("WatchUnlink streams"));
  }
  void Open(call::Call const& call, Message const& request, std::shared_ptr<call::StreamSink> sink,
            absl::AnyInvocable<void(absl::StatusOr<Stop>) &&> opened) const override {
    engine_.views().Watch(
        call.facts.caller, Typed(request).name(), call.deadline,
        [sink](v1::UnlinkMetadata const& metadata, bool done) { sink->Write(metadata, done); },
        [this, opened = std::move(opened)](absl::StatusOr<std::int64_t> handle) mutable {
          if (!handle.ok()) return std::move(opened)(handle.status());
          std::move(opened)(Stop([this, handle = *handle] { engine_.views().Unwatch(handle); }));
        });
  }
};

class GetOperation final : public NamedJobMethod<lro::GetOperationRequest, lro::Operation> {
 public:
  explicit GetOperation(UnlinkEngine& engine)
      : NamedJobMethod(engine, kOperations, "GetOperation", /*audited=*/false) {}
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    engine_.views().Get(call->facts.caller, Typed(*request).name(), call->deadline,
                        Reply<lro::Operation>(std::move(done)));
  }
};

class ListOperations final
    : public JobMethod<lro::ListOperationsRequest, lro::ListOperationsResponse> {
 public:
  explicit ListOperations(UnlinkEngine& engine)
      : JobMethod(engine, kOperations, "ListOperations", /*audited=*/false) {}
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    engine_.views().List(call->facts.caller, Typed(*request), call->deadline,
                         Reply<lro::ListOperationsResponse>(std::move(done)));
  }
};

class CancelOperation final
    : public NamedJobMethod<lro::CancelOperationRequest, google::protobuf::Empty> {
 public:
  explicit CancelOperation(UnlinkEngine& engine)
      : NamedJobMethod(engine, kOperations, "CancelOperation", /*audited=*/true) {}
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    std::string const name = Typed(*request).name();
    call->unlink_operation = name;
    engine_.Cancel(call->facts.caller, name, call->deadline,
                   [done = std::move(done)](absl::StatusOr<bool> cancelled) mutable {
                     if (!cancelled.ok()) return std::move(done)(cancelled.status());
                     std::move(done)(Response(std::make_shared<google::protobuf::Empty>()));
                   });
  }
};

class DeleteOperation final
    : public NamedJobMethod<lro::DeleteOperationRequest, google::protobuf::Empty> {
 public:
  explicit DeleteOperation(UnlinkEngine& engine)
      : NamedJobMethod(engine, kOperations, "DeleteOperation", /*audited=*/true) {}
  void Run(std::shared_ptr<call::Call>, std::shared_ptr<Message const>, Done done) const override {
    std::move(done)(absl::UnimplementedError(
        "unlink jobs are not deleted: a finished job is the record of what was deleted "
        "(kept for unlink.retention)"));
  }
};

class WaitOperation final : public NamedJobMethod<lro::WaitOperationRequest, lro::Operation> {
 public:
  explicit WaitOperation(UnlinkEngine& engine)
      : NamedJobMethod(engine, kOperations, "WaitOperation", /*audited=*/false) {}
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    auto const& wait = Typed(*request);
    absl::Time until = call->deadline;
    if (wait.has_timeout()) {
      until = std::min(until, absl::Now() + config::ToDuration(wait.timeout()));
    }
    // Answer a little before the caller's deadline, so it gets the
    // operation rather than DEADLINE_EXCEEDED.
    until = std::min(until, call->deadline - absl::Milliseconds(100));
    engine_.views().Wait(call->facts.caller, wait.name(), until,
                         Reply<lro::Operation>(std::move(done)));
  }
};

}  // namespace

void AddJobMethods(UnlinkEngine& engine, call::MethodSet& methods) {
  methods.Add(std::make_unique<StartUnlink>(engine, methods));
  methods.Add(std::make_unique<WatchUnlink>(engine));
  methods.Add(std::make_unique<GetOperation>(engine));
  methods.Add(std::make_unique<ListOperations>(engine));
  methods.Add(std::make_unique<CancelOperation>(engine));
  methods.Add(std::make_unique<DeleteOperation>(engine));
  methods.Add(std::make_unique<WaitOperation>(engine));
}

}  // namespace linkgateway::server::unlink
