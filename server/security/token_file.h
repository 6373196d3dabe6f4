// Bearer tokens for callers, from a file of salted hashes (never tokens in
// clear): lines "<name> <salt hex> <sha256(salt || token) hex>", '#' starts
// a comment; a caller with the token is "token:<name>" (the name may be
// written so, too). Re-read when it changes (watched_file.h), so tokens
// rotate without a restart; fails closed when it is missing or broken.
#ifndef LINKGATEWAY_SERVER_SECURITY_TOKEN_FILE_H_
#define LINKGATEWAY_SERVER_SECURITY_TOKEN_FILE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/security/watched_file.h"

namespace linkgateway::server::security {

struct TokenEntry {
  std::string principal;  // the name, without "token:"
  std::string salt;    // bytes
  std::string digest;  // 32 bytes: SHA-256(salt || token)
};
using TokenEntries = std::vector<TokenEntry>;

// Parses the file's text; errors name the line (never its contents).
absl::StatusOr<TokenEntries> ParseTokenFile(absl::string_view text);

// One line for the file, for `token` with a fresh random 16-byte salt.
std::string HashTokenLine(absl::string_view principal, absl::string_view token);

// The name of the entry `token` belongs to. Every entry is hashed and compared in
// constant time, so the time taken tells nothing about which one matched.
std::optional<std::string> FindToken(TokenEntries const& entries, absl::string_view token);

inline char const* UnusableMeaning(TokenEntries const*) { return "no bearer token is valid"; }

using TokenFile = WatchedFile<TokenEntries>;

// The token file at `path`, failing closed (no token is valid) while it
// cannot be used, unless `options` keep its last good contents.
absl::StatusOr<std::unique_ptr<TokenFile>> LoadTokenFile(std::string const& path,
                                                         WatchedFileOptions options = {});

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_TOKEN_FILE_H_
