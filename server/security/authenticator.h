// Who a call comes from: the identity in its verified client certificate
// (the conventions meshes use: a spiffe:// URI SAN first, then a DNS SAN,
// then the subject CN) or the name of its bearer token, typed by how it was
// proven (principal.h: "spiffe://...", "dns:...", "cn:...", "token:..."). A
// presented token wins over the certificate; a presented but unknown token
// is refused even when a certificate would have been accepted, and so is a
// certificate whose DNS SAN or CN contains "://".
#ifndef LINKGATEWAY_SERVER_SECURITY_AUTHENTICATOR_H_
#define LINKGATEWAY_SERVER_SECURITY_AUTHENTICATOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "server/security/caller.h"
#include "server/security/token_file.h"

namespace linkgateway::server::security {

class Authenticator {
 public:
  // Anonymous callers: nothing is checked.
  Authenticator() = default;
  // `tokens` may be null (no token file).
  Authenticator(bool mtls, std::unique_ptr<TokenFile> tokens)
      : mtls_(mtls), tokens_(std::move(tokens)) {}

  // Whether callers must authenticate.
  bool required() const { return mtls_ || tokens_ != nullptr; }

  // The token file (null without one), for its health and metrics.
  TokenFile* tokens() const { return tokens_.get(); }

  // The caller, or UNAUTHENTICATED (reason UNAUTHENTICATED, domain
  // linkgateway) saying what was missing or refused, never the token.
  absl::StatusOr<Caller> Authenticate(grpc::ServerContextBase const& context) const;

 private:
  bool const mtls_ = false;
  std::unique_ptr<TokenFile> const tokens_;
};

// The identity in a verified client certificate, from gRPC's auth context:
// proven_by kNone when the connection has none; UNAUTHENTICATED for a DNS
// SAN or CN that contains "://" or a control character.
absl::StatusOr<Caller> CertificateIdentity(grpc::AuthContext const& context);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_AUTHENTICATOR_H_
