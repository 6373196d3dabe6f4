#include "server/security/authenticator.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "grpc/grpc_security_constants.h"
#include "server/security/principal.h"

namespace linkgateway::server::security {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return adapters::errors::WithErrorInfo(absl::UnauthenticatedError(why),
                                         adapters::errors::reason::kUnauthenticated,
                                         adapters::errors::kGatewayDomain);
}

std::string First(grpc::AuthContext const& context, char const* property,
                  absl::string_view prefix = "") {
  for (auto const& value : context.FindPropertyValues(property)) {
    absl::string_view text(value.data(), value.size());
    if (absl::StartsWith(text, prefix)) return std::string(text);
  }
  return "";
}

}  // namespace

absl::StatusOr<Caller> CertificateIdentity(grpc::AuthContext const& context) {
  Caller caller;
  if (!context.IsPeerAuthenticated()) return caller;
  if (auto id = First(context, GRPC_PEER_URI_PROPERTY_NAME, kSpiffePrefix); !id.empty()) {
    caller.principal = id;
    caller.proven_by = ProvenBy::kMtlsSpiffeId;
    return caller;
  }
  absl::string_view what = "DNS SAN";
  std::string name = First(context, GRPC_PEER_DNS_PROPERTY_NAME);
  caller.principal = absl::StrCat(kDnsPrefix, name);
  caller.proven_by = ProvenBy::kMtlsDnsSan;
  if (name.empty()) {
    what = "subject CN";
    name = First(context, GRPC_X509_CN_PROPERTY_NAME);
    caller.principal = absl::StrCat(kCommonNamePrefix, name);
    caller.proven_by = ProvenBy::kMtlsCommonName;
  }
  if (name.empty()) return Caller();
  // A name that reads like a URI would read like another kind of identity in
  // every log and policy that shows it: refused, not reinterpreted.
  if (absl::StrContains(name, "://")) {
    return Unauthenticated(absl::StrCat("the client certificate's ", what,
                                        " contains \"://\"; only a URI SAN may carry a "
                                        "spiffe:// identity"));
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Unauthenticated(
          absl::StrCat("the client certificate's ", what, " contains a control character"));
    }
  }
  return caller;
}

absl::StatusOr<Caller> Authenticator::Authenticate(grpc::ServerContextBase const& context) const {
  Caller caller;
  caller.peer = context.peer();
  if (!required()) return caller;

  auto const& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header != metadata.end()) {
    absl::string_view value(header->second.data(), header->second.size());
    if (tokens_ == nullptr || value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
      return Unauthenticated("the authorization header must be \"Bearer <token>\" with a token "
                             "the gateway knows");
    }
    auto principal = FindToken(*tokens_->Get(), absl::StripAsciiWhitespace(value.substr(7)));
    if (!principal) {
      return Unauthenticated(tokens_->health().ok()
                                 ? "the bearer token is not valid"
                                 : "the bearer token is not valid: the gateway's token file "
                                   "cannot be used, so no token is");
    }
    caller.principal = absl::StrCat(kTokenPrefix, *principal);
    caller.proven_by = ProvenBy::kBearerToken;
    return caller;
  }
  if (mtls_) {
    if (auto const auth = context.auth_context(); auth != nullptr) {
      auto certified = CertificateIdentity(*auth);
      if (!certified.ok()) return certified.status();
      if (certified->proven_by != ProvenBy::kNone) {
        certified->peer = caller.peer;
        return certified;
      }
    }
  }
  return Unauthenticated(mtls_ && tokens_ ? "no client certificate identity and no bearer token"
                         : mtls_          ? "no verified client certificate"
                                          : "no bearer token (authorization: Bearer <token>)");
}

}  // namespace linkgateway::server::security
