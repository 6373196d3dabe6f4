#include "server/security/caller.h"

namespace linkgateway::server::security {

absl::string_view ProvenByName(ProvenBy how) {
  switch (how) {
    case ProvenBy::kNone:
      return "NONE";
    case ProvenBy::kMtlsSpiffeId:
      return "MTLS_SPIFFE_ID";
    case ProvenBy::kMtlsDnsSan:
      return "MTLS_DNS_SAN";
    case ProvenBy::kMtlsCommonName:
      return "MTLS_COMMON_NAME";
    case ProvenBy::kBearerToken:
      return "BEARER_TOKEN";
  }
  return "NONE";
}

}  // namespace linkgateway::server::security
