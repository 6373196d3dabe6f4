// The files that grant access as metrics: linkgateway_token_file_usable and
// linkgateway_policy_file_usable, 1 while the file in force is the file on
// disk, 0 while it cannot be used (missing, unparsable, writable by others:
// every token invalid, every call denied, unless keep_last_good).
#ifndef LINKGATEWAY_SERVER_SECURITY_FILE_METRICS_H_
#define LINKGATEWAY_SERVER_SECURITY_FILE_METRICS_H_

#include "observability/metrics/registry.h"
#include "server/security/authorization_policy.h"
#include "server/security/token_file.h"

namespace linkgateway::server::security {

// Adds a gauge for each file given (null: none configured, no gauge). Once
// per registry.
void ExportSecurityFileMetrics(observability::metrics::Registry& registry, TokenFile const* tokens,
                               PolicyFile const* policy);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_FILE_METRICS_H_
