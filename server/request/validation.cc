#include "server/request/validation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/errors/status_details.h"
#include "config/accounts.h"
#include "google/protobuf/descriptor.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::request {

absl::Status ValidateTarget(google::protobuf::Message const& request) {
  auto const* descriptor = request.GetDescriptor();
  auto const* target = descriptor->FindOneofByName("target");
  if (target == nullptr || request.GetReflection()->HasOneof(request, target)) {
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (int i = 0; i < target->field_count(); ++i) names.push_back(target->field(i)->name());
  return adapters::errors::InvalidArgument(
      descriptor->name(),
      {{"target", absl::StrCat("exactly one of ", absl::StrJoin(names, ", "), " must be set")}});
}

absl::Status ValidateAccount(google::protobuf::Message const& request) {
  std::string account = AccountOf(request);
  if (account.empty() || config::IsAccountName(account)) return absl::OkStatus();
  return adapters::errors::InvalidArgument(
      request.GetDescriptor()->name(),
      {{absl::StrCat(ProviderOf(request), ".account"), config::kAccountNameRule}});
}

namespace {

void CollectUnknownEnums(google::protobuf::Message const& message, std::string const& prefix,
                         std::vector<adapters::errors::FieldViolation>& violations) {
  auto const* reflection = message.GetReflection();
  std::vector<google::protobuf::FieldDescriptor const*> fields;
  reflection->ListFields(message, &fields);
  for (auto const* field : fields) {
    std::string path = absl::StrCat(prefix, field->name());
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      if (field->is_map()) continue;  // the API has no maps of enums or messages with enums
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          CollectUnknownEnums(reflection->GetRepeatedMessage(message, field, i),
                              absl::StrCat(path, "[", i, "]."), violations);
        }
      } else {
        CollectUnknownEnums(reflection->GetMessage(message, field), path + ".", violations);
      }
      continue;
    }
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_ENUM) continue;
    auto check = [&](int number, std::string const& where) {
      if (field->enum_type()->FindValueByNumber(number) != nullptr) return;
      violations.push_back({where, absl::StrCat("unknown value ", number, " of enum ",
                                                field->enum_type()->full_name())});
    };
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        check(reflection->GetRepeatedEnumValue(message, field, i), absl::StrCat(path, "[", i, "]"));
      }
    } else {
      check(reflection->GetEnumValue(message, field), path);
    }
  }
}

}  // namespace

absl::Status ValidateEnums(google::protobuf::Message const& request) {
  std::vector<adapters::errors::FieldViolation> violations;
  CollectUnknownEnums(request, "", violations);
  if (violations.empty()) return absl::OkStatus();
  return adapters::errors::InvalidArgument(request.GetDescriptor()->name(), violations);
}

}  // namespace linkgateway::server::request
