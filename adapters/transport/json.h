// Reading upstream JSON parsed into google.protobuf.Struct.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_JSON_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_JSON_H_

#include <string>

#include "google/protobuf/struct.pb.h"

namespace linkgateway::adapters::transport {

using JsonFields = google::protobuf::Map<std::string, google::protobuf::Value>;

// The string member `key`, or "" when absent or not a string.
inline std::string StringField(JsonFields const& fields, std::string const& key) {
  auto it = fields.find(key);
  return it != fields.end() && it->second.has_string_value() ? it->second.string_value() : "";
}

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_JSON_H_
