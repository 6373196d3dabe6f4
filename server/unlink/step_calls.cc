#include "server/unlink/step_calls.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "linkgateway/v1/registrations.pb.h"
#include "linkgateway/v1/subscriptions.pb.h"
#include "server/call/dispatch.h"
#include "server/call/validation.h"

namespace linkgateway::server::unlink {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The entry serving `request` when it is a Req; false when it is not.
template <typename Req, typename Resp>
bool Dispatch(adapters::operation::OperationTable<Req, Resp> const& table, Message const& request,
              typename adapters::operation::OperationTable<Req, Resp>::Entry const** entry,
              absl::Status* error) {
  if (request.GetDescriptor() != Req::descriptor()) return false;
  auto const& typed = static_cast<Req const&>(request);
  *entry = table.Find(typed.target_case());
  if (*entry == nullptr) *error = server::call::ProviderNotServed(typed);
  return true;
}

template <typename Req, typename Resp>
bool TryCheck(adapters::operation::OperationTable<Req, Resp> const& table, Message const& request,
              absl::Status* result) {
  typename adapters::operation::OperationTable<Req, Resp>::Entry const* entry = nullptr;
  absl::Status error;
  if (!Dispatch(table, request, &entry, &error)) return false;
  if (entry == nullptr) {
    *result = error;
  } else if (absl::Status valid = entry->validate(static_cast<Req const&>(request));
             !valid.ok()) {
    *result = valid;
  } else {
    *result = entry->operation->Preflight();
  }
  return true;
}

template <typename Req, typename Resp>
bool TryStart(adapters::operation::OperationTable<Req, Resp> const& table,
              std::shared_ptr<Message const> const& request,
              adapters::operation::CallContext const& context, AnswerCallback& done) {
  typename adapters::operation::OperationTable<Req, Resp>::Entry const* entry = nullptr;
  absl::Status error;
  if (!Dispatch(table, *request, &entry, &error)) return false;
  if (entry == nullptr) {
    std::move(done)(CallAnswer{error, nullptr});
    return true;
  }
  // The request outlives the call: adapters may read it until they answer.
  entry->operation->Start(context, static_cast<Req const&>(*request),
                          [request, done = std::move(done)](absl::StatusOr<Resp> result) mutable {
                            CallAnswer answer{result.status(), nullptr};
                            if (result.ok()) {
                              answer.response = std::make_shared<Resp>(*std::move(result));
                            }
                            std::move(done)(std::move(answer));
                          });
  return true;
}

FieldDescriptor const* SetField(Message const& message, char const* oneof_name) {
  auto const* oneof = message.GetDescriptor()->FindOneofByName(oneof_name);
  return oneof == nullptr ? nullptr
                          : message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
}

std::string StringField(Message const& message, char const* name) {
  auto const* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return "";
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

absl::Status CheckDelete(adapters::operation::ProviderRegistry const& providers,
                         Message const& request) {
  if (absl::Status valid = server::call::ValidateTarget(request); !valid.ok()) return valid;
  if (absl::Status valid = server::call::ValidateEnums(request); !valid.ok()) return valid;
  absl::Status result;
  if (TryCheck(providers.delete_registration, request, &result) ||
      TryCheck(providers.delete_subscription, request, &result) ||
      TryCheck(providers.delete_app_profile, request, &result)) {
    return result;
  }
  return absl::UnimplementedError(
      absl::StrCat(request.GetDescriptor()->full_name(), " is not a delete this gateway serves"));
}

void StartDelete(adapters::operation::ProviderRegistry const& providers,
                 std::shared_ptr<Message const> request,
                 adapters::operation::CallContext const& context, AnswerCallback done) {
  if (TryStart(providers.delete_registration, request, context, done) ||
      TryStart(providers.delete_subscription, request, context, done) ||
      TryStart(providers.delete_app_profile, request, context, done)) {
    return;
  }
  std::move(done)(CallAnswer{
      absl::UnimplementedError(absl::StrCat(request->GetDescriptor()->full_name(),
                                            " is not a delete this gateway serves")),
      nullptr});
}

QueuedWork QueuedWorkOf(Message const& response) {
  QueuedWork work;
  auto const* result = SetField(response, "result");
  if (result == nullptr || result->type() != FieldDescriptor::TYPE_MESSAGE) return work;
  work.result_case = result->name();
  work.transaction_id =
      StringField(response.GetReflection()->GetMessage(response, result), "transaction_id");
  return work;
}

void ReadQueuedWork(adapters::operation::ProviderRegistry const& providers, QueuedWork const& work,
                    adapters::operation::CallContext const& context,
                    absl::AnyInvocable<void(absl::StatusOr<QueuedState>) &&> done) {
  auto request = std::make_shared<v1::GetProfileTransactionRequest>();
  auto const* field = request->GetDescriptor()->FindFieldByName(work.result_case);
  auto const* entry =
      field == nullptr ? nullptr : providers.get_profile_transaction.Find(field->number());
  if (entry == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) {
    return std::move(done)(absl::UnimplementedError(
        absl::StrCat("no operation reads the queued work of ", work.result_case)));
  }
  Message* key = request->GetReflection()->MutableMessage(request.get(), field);
  auto const* id = key->GetDescriptor()->FindFieldByName("transaction_id");
  if (id == nullptr) {
    return std::move(done)(absl::UnimplementedError(
        absl::StrCat("the queued work of ", work.result_case, " has no transaction_id")));
  }
  key->GetReflection()->SetString(key, id, work.transaction_id);
  entry->operation->Start(
      context, *request,
      [request, done = std::move(done)](absl::StatusOr<v1::ProfileTransaction> result) mutable {
        if (!result.ok()) return std::move(done)(result.status());
        auto const* provider = SetField(*result, "provider");
        if (provider == nullptr || provider->type() != FieldDescriptor::TYPE_MESSAGE) {
          return std::move(done)(absl::InternalError("the transaction's state is missing"));
        }
        Message const& status = result->GetReflection()->GetMessage(*result, provider);
        QueuedState state;
        auto const* state_field = status.GetDescriptor()->FindFieldByName("state");
        if (state_field != nullptr && state_field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
          state.state = static_cast<v1::ProfileTransactionState>(
              status.GetReflection()->GetEnumValue(status, state_field));
        }
        state.code = StringField(status, "code");
        state.description = StringField(status, "description");
        std::move(done)(std::move(state));
      });
}

}  // namespace linkgateway::server::unlink
