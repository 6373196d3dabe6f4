#include "server/audit/signing.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace linkgateway::server::audit {
namespace {

std::string KeyIdOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(length), digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
             absl::string_view(reinterpret_cast<char const*>(digest), sizeof(digest)))
      .substr(0, 16);
}

// Reads a PEM key with `read` (PEM_read_PrivateKey or PEM_read_PUBKEY).
template <typename Read>
absl::StatusOr<EVP_PKEY*> ReadEd25519(std::string const& path, Read read) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  EVP_PKEY* key = read(file);
  std::fclose(file);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a PEM key"));
  }
  if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an Ed25519 key (openssl genpkey -algorithm ed25519)"));
  }
  return key;
}

}  // namespace

std::string DigestSigningText(absl::string_view sha256_hex, std::int64_t bytes,
                              std::uint64_t last_sequence) {
  return absl::StrCat("linkgateway.audit.v1.FileDigest\n", sha256_hex, "\n", bytes, "\n",
                      last_sequence, "\n");
}

Signer::Signer(EVP_PKEY* key) : key_(key), key_id_(KeyIdOf(key)) {}
Signer::~Signer() { EVP_PKEY_free(key_); }

std::string Signer::Sign(absl::string_view text) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char signature[64];
  std::size_t length = sizeof(signature);
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, signature, &length,
                           reinterpret_cast<unsigned char const*>(text.data()), text.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  return absl::Base64Escape(absl::string_view(reinterpret_cast<char const*>(signature), length));
}

absl::StatusOr<std::unique_ptr<Signer>> LoadSigningKey(std::string const& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s may be read by group or others (mode %04o): a signing key must be private "
        "(chmod 600)",
        path, st.st_mode & 07777));
  }
  auto key =
      ReadEd25519(path, [](FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); });
  if (!key.ok()) return key.status();
  return std::unique_ptr<Signer>(new Signer(*key));
}

SignatureVerifier::SignatureVerifier(EVP_PKEY* key) : key_(key), key_id_(KeyIdOf(key)) {}
SignatureVerifier::~SignatureVerifier() { EVP_PKEY_free(key_); }

bool SignatureVerifier::Verify(absl::string_view text, absl::string_view signature_base64) const {
  std::string signature;
  if (!absl::Base64Unescape(signature_base64, &signature)) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<unsigned char const*>(signature.data()),
                             signature.size(), reinterpret_cast<unsigned char const*>(text.data()),
                             text.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<std::unique_ptr<SignatureVerifier>> LoadVerifyingKey(std::string const& path) {
  auto key =
      ReadEd25519(path, [](FILE* f) { return PEM_read_PUBKEY(f, nullptr, nullptr, nullptr); });
  if (!key.ok()) return key.status();
  return std::unique_ptr<SignatureVerifier>(new SignatureVerifier(*key));
}

}  // namespace linkgateway::server::audit
