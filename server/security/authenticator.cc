#include "server/security/authenticator.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "grpc/grpc_security_constants.h"

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

Caller CertificateIdentity(grpc::AuthContext const& context) {
  Caller caller;
  if (!context.IsPeerAuthenticated()) return caller;
  if (auto id = First(context, GRPC_PEER_URI_PROPERTY_NAME, "spiffe://"); !id.empty()) {
    caller.principal = id;
    caller.proven_by = ProvenBy::kMtlsSpiffeId;
  } else if (auto dns = First(context, GRPC_PEER_DNS_PROPERTY_NAME); !dns.empty()) {
    caller.principal = dns;
    caller.proven_by = ProvenBy::kMtlsDnsSan;
  } else if (auto cn = First(context, GRPC_X509_CN_PROPERTY_NAME); !cn.empty()) {
    caller.principal = cn;
    caller.proven_by = ProvenBy::kMtlsCommonName;
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
    if (!principal) return Unauthenticated("the bearer token is not valid");
    caller.principal = *std::move(principal);
    caller.proven_by = ProvenBy::kBearerToken;
    return caller;
  }
  if (mtls_) {
    if (auto const auth = context.auth_context(); auth != nullptr) {
      Caller certified = CertificateIdentity(*auth);
      if (certified.proven_by != ProvenBy::kNone) {
        certified.peer = caller.peer;
        return certified;
      }
    }
  }
  return Unauthenticated(mtls_ && tokens_ ? "no client certificate identity and no bearer token"
                         : mtls_          ? "no verified client certificate"
                                          : "no bearer token (authorization: Bearer <token>)");
}

}  // namespace linkgateway::server::security
