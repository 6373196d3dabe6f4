// Signatures over the audit trail's file digests: Ed25519 (OpenSSL), so
// whoever checks a trail needs only the public key and cannot forge one,
// unlike an HMAC, whose checking key is also its signing key.
#ifndef LINKGATEWAY_SERVER_AUDIT_SIGNING_H_
#define LINKGATEWAY_SERVER_AUDIT_SIGNING_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct evp_pkey_st;

namespace linkgateway::server::audit {

// The text a FileDigest's signature covers (audit.proto FileDigest).
std::string DigestSigningText(absl::string_view sha256_hex, std::int64_t bytes,
                              std::uint64_t last_sequence);

class Signer {
 public:
  ~Signer();
  // Base64 Ed25519 signature of `text`.
  std::string Sign(absl::string_view text) const;
  // First 16 hex digits of the SHA-256 of the public key (DER).
  std::string const& key_id() const { return key_id_; }

 private:
  friend absl::StatusOr<std::unique_ptr<Signer>> LoadSigningKey(std::string const& path);
  explicit Signer(evp_pkey_st* key);
  evp_pkey_st* const key_;
  std::string key_id_;
};

// An Ed25519 private key in PEM; refused when group or others may read it.
absl::StatusOr<std::unique_ptr<Signer>> LoadSigningKey(std::string const& path);

class SignatureVerifier {
 public:
  ~SignatureVerifier();
  // Whether `signature_base64` is this key's signature of `text`.
  bool Verify(absl::string_view text, absl::string_view signature_base64) const;
  std::string const& key_id() const { return key_id_; }

 private:
  friend absl::StatusOr<std::unique_ptr<SignatureVerifier>> LoadVerifyingKey(
      std::string const& path);
  explicit SignatureVerifier(evp_pkey_st* key);
  evp_pkey_st* const key_;
  std::string key_id_;
};

// An Ed25519 public key in PEM (`openssl pkey -in key.pem -pubout`).
absl::StatusOr<std::unique_ptr<SignatureVerifier>> LoadVerifyingKey(std::string const& path);

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_SIGNING_H_
