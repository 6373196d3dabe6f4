// An AuditRecord's proto3 JSON (the audit trail's and the access log's
// lines), written from its generated accessors: the same text as
// AppendProtoJson(record), without walking reflection on every call (the
// reflective writer was the gateway's largest own cost per call). Should
// AuditRecord gain a field this writer does not know, every record goes
// through AppendProtoJson instead, so nothing is ever left out.
#ifndef LINKGATEWAY_OBSERVABILITY_JSON_AUDIT_RECORD_JSON_H_
#define LINKGATEWAY_OBSERVABILITY_JSON_AUDIT_RECORD_JSON_H_

#include <string>

#include "linkgateway/audit/v1/audit.pb.h"

namespace linkgateway::observability::json {

// Appends the record's JSON (one line, no newline) to `out`.
void AppendAuditRecordJson(linkgateway::audit::v1::AuditRecord const& record, std::string& out);

inline std::string AuditRecordJson(linkgateway::audit::v1::AuditRecord const& record) {
  std::string out;
  AppendAuditRecordJson(record, out);
  return out;
}

// Whether AppendAuditRecordJson writes records itself: it knows every field
// of AuditRecord and of the messages in it.
bool AuditRecordJsonKnowsEveryField();

}  // namespace linkgateway::observability::json

#endif  // LINKGATEWAY_OBSERVABILITY_JSON_AUDIT_RECORD_JSON_H_
