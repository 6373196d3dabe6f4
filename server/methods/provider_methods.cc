#include "server/methods/provider_methods.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/call/refusals.h"
#include "server/request/request_fields.h"
#include "server/request/validation.h"

namespace linkgateway::server::methods {
namespace {

using google::protobuf::Message;

// One provider RPC: its request's target picks the operation.
template <typename Req, typename Resp>
class ProviderMethod final : public call::Method {
 public:
  using Table = adapters::operation::OperationTable<Req, Resp>;

  ProviderMethod(std::string path, Table const& table)
      : path_(std::move(path)),
        table_(table),
        audited_(request::IsDestructive(*Req::descriptor())) {}

  std::string const& path() const override { return path_; }
  Message const& request_prototype() const override { return Req::default_instance(); }
  Message const& response_prototype() const override { return Resp::default_instance(); }
  // Deletes: every outcome is audited, and a request_id makes them
  // idempotent.
  bool audited() const override { return audited_; }
  bool keeps_request_ids() const override { return audited_; }

  absl::Status CheckTarget(Message const& request) const override {
    if (absl::Status valid = request::ValidateTarget(request); !valid.ok()) return valid;
    return request::ValidateAccount(request);
  }
  std::vector<call::Access> Accesses(Message const& request) const override {
    return {{path_, request::ProviderOf(request), "", AccountFor(request)}};
  }
  std::string ServedAccount(Message const& request) const override {
    return EntryFor(request) != nullptr ? AccountFor(request) : "";
  }
  absl::Status Check(Message const& request) const override {
    if (absl::Status valid = request::ValidateEnums(request); !valid.ok()) return valid;
    auto const* entry = EntryFor(request);
    if (entry == nullptr) {
      if (table_.Serves(Typed(request).target_case())) return call::UnknownAccount(request);
      return call::ProviderNotServed(request);
    }
    return entry->validate(Typed(request));
  }
  absl::StatusOr<Response> DryRun(call::Call const&, Message const& request) const override {
    if (absl::Status ready = EntryFor(request)->operation->Preflight(); !ready.ok()) return ready;
    auto response = std::make_shared<Resp>();
    request::MarkValidateOnly(*response);
    return Response(std::move(response));
  }
  void Run(std::shared_ptr<call::Call> call, std::shared_ptr<Message const> request,
           Done done) const override {
    adapters::operation::CallContext context{call->deadline, call->cancellation, call->trace,
                                             call->max_queue_wait, call->turn_taken};
    Req const& typed = Typed(*request);
    // The request outlives the call: adapters may read it until they answer.
    EntryFor(typed)->operation->Start(
        context, typed,
        [request = std::move(request),
         done = std::move(done)](absl::StatusOr<Resp> result) mutable {
          if (!result.ok()) return std::move(done)(result.status());
          std::move(done)(Response(std::make_shared<Resp>(*std::move(result))));
        });
  }

 private:
  static Req const& Typed(Message const& request) { return static_cast<Req const&>(request); }
  // The account is the one the request names, or its provider's default.
  std::string AccountFor(Message const& request) const {
    std::string account = request::AccountOf(request);
    return account.empty() ? table_.DefaultAccount(Typed(request).target_case()) : account;
  }
  typename Table::Entry const* EntryFor(Message const& request) const {
    return table_.Find(Typed(request).target_case(), request::AccountOf(request));
  }

  std::string const path_;
  Table const& table_;
  bool const audited_;
};

}  // namespace

std::string PathOf(google::protobuf::Descriptor const* request) {
  auto const* file = request->file();
  for (int s = 0; s < file->service_count(); ++s) {
    auto const* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      if (service->method(m)->input_type() == request) {
        return absl::StrCat("/", service->full_name(), "/", service->method(m)->name());
      }
    }
  }
  return "";
}

void AddProviderMethods(adapters::operation::ProviderRegistry const& registry,
                        call::MethodSet& methods) {
  adapters::operation::ProviderRpcs::ForEach([&](auto rpc) {
    using Rpc = decltype(rpc);
    using Request = typename Rpc::Request;
    methods.Add(std::make_unique<ProviderMethod<Request, typename Rpc::Response>>(
        PathOf(Request::descriptor()), registry.template table<Request>()));
  });
}

}  // namespace linkgateway::server::methods
