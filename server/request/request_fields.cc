#include "server/request/request_fields.h"

#include "absl/strings/str_cat.h"
#include "linkgateway/v1/annotations.pb.h"

namespace linkgateway::server::request {
namespace {

using google::protobuf::FieldDescriptor;

FieldDescriptor const* TargetField(google::protobuf::Message const& request) {
  auto const* target = request.GetDescriptor()->FindOneofByName("target");
  if (target == nullptr) return nullptr;
  return request.GetReflection()->GetOneofFieldDescriptor(request, target);
}

// The target key's `account` field, or null.
FieldDescriptor const* AccountField(google::protobuf::Message const& request) {
  auto const* field = TargetField(request);
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) return nullptr;
  auto const* account = field->message_type()->FindFieldByName("account");
  if (account == nullptr || account->type() != FieldDescriptor::TYPE_STRING) return nullptr;
  return account;
}

}  // namespace

bool IsDestructive(google::protobuf::Descriptor const& request) {
  auto const* field = request.FindFieldByName("validate_only");
  return field != nullptr && field->type() == FieldDescriptor::TYPE_BOOL;
}

bool ValidateOnly(google::protobuf::Message const& request) {
  auto const* field = request.GetDescriptor()->FindFieldByName("validate_only");
  return field != nullptr && field->type() == FieldDescriptor::TYPE_BOOL &&
         request.GetReflection()->GetBool(request, field);
}

void MarkValidateOnly(google::protobuf::Message& response) {
  auto const* field = response.GetDescriptor()->FindFieldByName("validate_only");
  if (field != nullptr && field->type() == FieldDescriptor::TYPE_BOOL) {
    response.GetReflection()->SetBool(&response, field, true);
  }
}

std::string ProviderOf(google::protobuf::Message const& request) {
  auto const* field = TargetField(request);
  return field == nullptr ? "" : field->name();
}

std::string AccountOf(google::protobuf::Message const& request) {
  auto const* account = AccountField(request);
  if (account == nullptr) return "";
  auto const& key = request.GetReflection()->GetMessage(request, TargetField(request));
  return key.GetReflection()->GetString(key, account);
}

void SetAccount(google::protobuf::Message& request, std::string const& account) {
  auto const* field = AccountField(request);
  if (field == nullptr) return;
  auto* key = request.GetReflection()->MutableMessage(&request, TargetField(request));
  key->GetReflection()->SetString(key, field, account);
}

std::map<std::string, std::string> TargetFields(google::protobuf::Message const& request) {
  std::map<std::string, std::string> out;
  auto const* field = TargetField(request);
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) return out;
  auto const& key = request.GetReflection()->GetMessage(request, field);
  auto const* reflection = key.GetReflection();
  std::vector<FieldDescriptor const*> fields;
  reflection->ListFields(key, &fields);
  for (auto const* f : fields) {
    if (f->options().GetExtension(v1::sensitive) || f->is_repeated()) continue;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        out[f->name()] = reflection->GetString(key, f);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        out[f->name()] = reflection->GetEnum(key, f)->name();
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        out[f->name()] = absl::StrCat(reflection->GetInt32(key, f));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        out[f->name()] = absl::StrCat(reflection->GetInt64(key, f));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out[f->name()] = reflection->GetBool(key, f) ? "true" : "false";
        break;
      default:
        break;  // nested messages and floats are not keys
    }
  }
  return out;
}

}  // namespace linkgateway::server::request
