// Builds the audit record of one destructive call from what the dispatch
// path knows: the caller, the request, the answer and what went upstream.
#ifndef LINKGATEWAY_SERVER_AUDIT_AUDIT_RECORD_H_
#define LINKGATEWAY_SERVER_AUDIT_AUDIT_RECORD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/transport/http.h"
#include "google/protobuf/message.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "server/security/caller.h"

namespace linkgateway::server::audit {

struct CallFacts {
  std::string method;             // "/package.Service/Method"
  security::Caller caller;
  absl::Time start;
  std::string request_id;         // x-request-id
  std::string trace_id;           // from traceparent
  std::string policy_rule;        // the rule that decided, when a policy did
  std::string account;            // the provider account the call is for, validated
  bool replayed = false;          // answered from an idempotency record
};

// `response` is null unless `outcome` is OK; `trace` may be null.
linkgateway::audit::v1::AuditRecord MakeAuditRecord(CallFacts const& call,
                                                    google::protobuf::Message const& request,
                                                    absl::Status const& outcome,
                                                    google::protobuf::Message const* response,
                                                    adapters::transport::UpstreamTrace const* trace,
                                                    absl::Time now);

// The trace id of a W3C traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"),
// or "" when it is not one.
std::string TraceIdOf(std::string const& traceparent);

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_AUDIT_RECORD_H_
