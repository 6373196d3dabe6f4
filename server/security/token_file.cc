#include "server/security/token_file.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/security/principal.h"

namespace linkgateway::server::security {
namespace {

std::string Digest(absl::string_view salt, absl::string_view token) {
  std::string input = absl::StrCat(salt, token);
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(input.data()), input.size(), out);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

bool IsHex(absl::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TokenEntries> ParseTokenFile(absl::string_view text) {
  std::vector<TokenEntry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() != 3 || !IsHex(fields[1]) || !IsHex(fields[2]) ||
        fields[2].size() != 2 * SHA256_DIGEST_LENGTH) {
      // The line itself is not repeated: it holds a hash, but say where.
      return absl::InvalidArgumentError(absl::StrCat(
          "token file line ", line_number,
          ": expected \"<principal> <salt hex> <sha256 hex>\" (bazel run //server/security:hash_token)"));
    }
    // The name may be written typed ("token:ops") or bare ("ops").
    entries.push_back({std::string(absl::StripPrefix(fields[0], kTokenPrefix)),
                       absl::HexStringToBytes(fields[1]), absl::HexStringToBytes(fields[2])});
  }
  return entries;
}

std::string HashTokenLine(absl::string_view principal, absl::string_view token) {
  unsigned char salt[16];
  RAND_bytes(salt, sizeof(salt));
  std::string salt_bytes(reinterpret_cast<char*>(salt), sizeof(salt));
  return absl::StrCat(principal, " ", absl::BytesToHexString(salt_bytes), " ",
                      absl::BytesToHexString(Digest(salt_bytes, token)));
}

std::optional<std::string> FindToken(TokenEntries const& entries, absl::string_view token) {
  std::optional<std::string> found;
  for (auto const& entry : entries) {
    std::string digest = Digest(entry.salt, token);
    // Every entry is hashed and compared: no early exit.
    bool same = digest.size() == entry.digest.size() &&
                CRYPTO_memcmp(digest.data(), entry.digest.data(), digest.size()) == 0;
    if (same && !found) found = entry.principal;
  }
  return found;
}

absl::StatusOr<std::unique_ptr<TokenFile>> LoadTokenFile(std::string const& path,
                                                         WatchedFileOptions options) {
  return TokenFile::Load(path, ParseTokenFile, std::move(options));
}

}  // namespace linkgateway::server::security
