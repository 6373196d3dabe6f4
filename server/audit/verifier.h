// Checks an audit trail (audit_log.h) across its rotated files, oldest
// first: every line a record, sequences continuous, each record's
// previous_hash the SHA-256 of the line before it, each file's FileStart
// digest that of the file before it, seals, and (with a public key) every
// signature. Reports the first altered, missing or reordered record.
#ifndef LINKGATEWAY_SERVER_AUDIT_VERIFIER_H_
#define LINKGATEWAY_SERVER_AUDIT_VERIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "server/audit/signing.h"

namespace linkgateway::server::audit {

struct VerifyReport {
  bool intact = false;
  // The first problem: "ALTERED: ...", "MISSING: ...", "REORDERED: ...",
  // "UNSIGNED: ..." or "UNREADABLE: ..."; "" when intact.
  std::string problem;
  // One line per file, then what was tolerated (bytes of failed writes, a
  // trail that starts after files rotated away) and a summary.
  std::vector<std::string> notes;
  std::uint64_t records = 0;
};

// `path` is the trail's current file (path.1, path.2, ... are the rotated
// ones). With `key`, every file digest must carry a valid signature by it.
VerifyReport VerifyTrail(std::string const& path, SignatureVerifier const* key);

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_VERIFIER_H_
