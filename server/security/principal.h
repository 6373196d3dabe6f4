// Principals carry how they were proven, so one kind of proof can never pass
// for another: "spiffe://..." only from a client certificate's URI SAN,
// "dns:<name>" from its DNS SAN, "cn:<name>" from its subject CN,
// "token:<name>" from the token file. An anonymous caller's principal is "".
// Policies, request_id records, job ownership, the audit trail, the access
// log and metrics all compare this typed text.
#ifndef LINKGATEWAY_SERVER_SECURITY_PRINCIPAL_H_
#define LINKGATEWAY_SERVER_SECURITY_PRINCIPAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace linkgateway::server::security {

inline constexpr absl::string_view kSpiffePrefix = "spiffe://";
inline constexpr absl::string_view kDnsPrefix = "dns:";
inline constexpr absl::string_view kCommonNamePrefix = "cn:";
inline constexpr absl::string_view kTokenPrefix = "token:";

// An A43 string pattern: "abc" exactly, "abc*" a prefix, "*abc" a suffix,
// "*" any non-empty value. INVALID_ARGUMENT for a pattern with a "*"
// anywhere else (it could never match as its author meant).
absl::Status CheckPattern(absl::string_view pattern);

// `value` against a pattern CheckPattern accepts.
bool MatchesPattern(absl::string_view pattern, absl::string_view value);

// A principal pattern of a policy: "*" (any authenticated caller) or a typed
// principal whose part after the type is a pattern ("spiffe://example.org/*",
// "dns:*.ops.example.org", "token:ci-*"). A bare name is refused with the
// typed forms it could mean.
absl::Status CheckPrincipalPattern(absl::string_view pattern);

// `principal` ("" when anonymous) against a pattern CheckPrincipalPattern
// accepts: the type must be the same, then the rest must match.
bool MatchesPrincipal(absl::string_view pattern, absl::string_view principal);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_PRINCIPAL_H_
