// Who is calling, and how that was proven.
#ifndef LINKGATEWAY_SERVER_SECURITY_CALLER_H_
#define LINKGATEWAY_SERVER_SECURITY_CALLER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace linkgateway::server::security {

// How a caller proved its identity. The names match AuditRecord's enum.
enum class ProvenBy {
  kNone,            // not authenticated (anonymous)
  kMtlsSpiffeId,    // client certificate: spiffe:// URI SAN
  kMtlsDnsSan,      // client certificate: DNS SAN
  kMtlsCommonName,  // client certificate: subject CN
  kBearerToken,     // a token from the token file
};

absl::string_view ProvenByName(ProvenBy how);

struct Caller {
  // Typed by how it was proven (principal.h), e.g. "token:ops",
  // "spiffe://example.org/billing"; "" when anonymous.
  std::string principal;
  ProvenBy proven_by = ProvenBy::kNone;
  std::string peer;       // gRPC's peer address, e.g. ipv4:127.0.0.1:4242
};

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_CALLER_H_
