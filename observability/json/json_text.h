// The pieces of proto3 JSON both writers here share (proto_json.h walks any
// message's reflection, audit_record_json.h writes AuditRecords from their
// accessors): strings, Timestamps and Durations, spelled exactly alike.
#ifndef LINKGATEWAY_OBSERVABILITY_JSON_JSON_TEXT_H_
#define LINKGATEWAY_OBSERVABILITY_JSON_JSON_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace linkgateway::observability::json {

// `text` as a JSON string, quoted: ", \ and control characters escaped
// (DEL too), everything else as it is.
void AppendJsonString(absl::string_view text, std::string& out);

// A google.protobuf.Timestamp as protobuf writes it: "2023-11-14T22:13:20Z",
// with 0, 3, 6 or 9 fractional digits.
void AppendJsonTimestamp(std::int64_t seconds, std::int32_t nanos, std::string& out);

// A google.protobuf.Duration as protobuf writes it: "1.500s", "-0.001500s".
void AppendJsonDuration(std::int64_t seconds, std::int32_t nanos, std::string& out);

}  // namespace linkgateway::observability::json

#endif  // LINKGATEWAY_OBSERVABILITY_JSON_JSON_TEXT_H_
