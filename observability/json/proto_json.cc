#include "observability/json/proto_json.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "observability/json/json_text.h"

namespace linkgateway::observability::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendString(absl::string_view text, std::string& out) { AppendJsonString(text, out); }

bool IsWellKnown(Descriptor const* type, char const* name) { return type->full_name() == name; }

void AppendTimestamp(Message const& message, std::string& out) {
  auto const* d = message.GetDescriptor();
  auto const* r = message.GetReflection();
  AppendJsonTimestamp(r->GetInt64(message, d->FindFieldByNumber(1)),
                      r->GetInt32(message, d->FindFieldByNumber(2)), out);
}

void AppendDuration(Message const& message, std::string& out) {
  auto const* d = message.GetDescriptor();
  auto const* r = message.GetReflection();
  AppendJsonDuration(r->GetInt64(message, d->FindFieldByNumber(1)),
                     r->GetInt32(message, d->FindFieldByNumber(2)), out);
}

// Whether the writer handles every field of `type` (and of its messages).
bool Supported(Descriptor const* type, int depth = 0) {
  if (depth > 16) return false;
  if (IsWellKnown(type, "google.protobuf.Timestamp") ||
      IsWellKnown(type, "google.protobuf.Duration")) {
    return true;
  }
  if (type->file()->package() == "google.protobuf") return false;  // Any, Struct, wrappers
  for (int i = 0; i < type->field_count(); ++i) {
    auto const* field = type->field(i);
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return false;
      case FieldDescriptor::CPPTYPE_STRING:
        if (field->type() == FieldDescriptor::TYPE_BYTES) return false;
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (field->is_map()) {
          auto const* value = field->message_type()->map_value();
          if (value->cpp_type() != FieldDescriptor::CPPTYPE_STRING ||
              value->type() == FieldDescriptor::TYPE_BYTES ||
              field->message_type()->map_key()->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
            return false;
          }
        } else if (!Supported(field->message_type(), depth + 1)) {
          return false;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

void AppendMessage(Message const& message, std::string& out);

void AppendValue(Message const& message, FieldDescriptor const* field, int index,
                 std::string& out) {
  auto const* r = message.GetReflection();
  bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(&out, repeated ? r->GetRepeatedInt32(message, field, index)
                                     : r->GetInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(&out, repeated ? r->GetRepeatedUInt32(message, field, index)
                                     : r->GetUInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(&out, "\"",
                      repeated ? r->GetRepeatedInt64(message, field, index)
                               : r->GetInt64(message, field),
                      "\"");
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(&out, "\"",
                      repeated ? r->GetRepeatedUInt64(message, field, index)
                               : r->GetUInt64(message, field),
                      "\"");
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = repeated ? r->GetRepeatedEnumValue(message, field, index)
                            : r->GetEnumValue(message, field);
      auto const* value = field->enum_type()->FindValueByNumber(number);
      if (value != nullptr) {
        AppendString(value->name(), out);
      } else {
        absl::StrAppend(&out, number);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      AppendString(repeated ? r->GetRepeatedStringReference(message, field, index, &scratch)
                            : r->GetStringReference(message, field, &scratch),
                   out);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(repeated ? r->GetRepeatedMessage(message, field, index)
                             : r->GetMessage(message, field),
                    out);
      break;
    default:
      out += "null";  // not reached: Supported() sends other types elsewhere
  }
}

void AppendMap(Message const& message, FieldDescriptor const* field, std::string& out) {
  auto const* r = message.GetReflection();
  auto const* entry_type = field->message_type();
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    Message const& entry = r->GetRepeatedMessage(message, field, i);
    auto const* er = entry.GetReflection();
    entries.emplace_back(er->GetString(entry, entry_type->map_key()),
                         er->GetString(entry, entry_type->map_value()));
  }
  std::sort(entries.begin(), entries.end());
  out.push_back('{');
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendString(entries[i].first, out);
    out.push_back(':');
    AppendString(entries[i].second, out);
  }
  out.push_back('}');
}

void AppendMessage(Message const& message, std::string& out) {
  auto const* type = message.GetDescriptor();
  if (IsWellKnown(type, "google.protobuf.Timestamp")) return AppendTimestamp(message, out);
  if (IsWellKnown(type, "google.protobuf.Duration")) return AppendDuration(message, out);
  auto const* r = message.GetReflection();
  std::vector<FieldDescriptor const*> fields;
  r->ListFields(message, &fields);  // set fields, by number
  out.push_back('{');
  bool first = true;
  for (auto const* field : fields) {
    if (!first) out.push_back(',');
    first = false;
    AppendString(field->name(), out);
    out.push_back(':');
    if (field->is_map()) {
      AppendMap(message, field, out);
    } else if (field->is_repeated()) {
      out.push_back('[');
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        if (i > 0) out.push_back(',');
        AppendValue(message, field, i, out);
      }
      out.push_back(']');
    } else {
      AppendValue(message, field, -1, out);
    }
  }
  out.push_back('}');
}

}  // namespace

void AppendProtoJson(Message const& message, std::string& out) {
  if (!Supported(message.GetDescriptor())) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string printed;
    (void)google::protobuf::util::MessageToJsonString(message, &printed, options);
    out += printed;
    return;
  }
  AppendMessage(message, out);
}

}  // namespace linkgateway::observability::json
