// What the audit trail's hash chain needs from its files: SHA-256 of lines
// and of whole files, and a scan of an existing file (its digest, the last
// complete line's hash and sequence, and whether a line was torn).
#ifndef LINKGATEWAY_SERVER_AUDIT_TRAIL_FILE_H_
#define LINKGATEWAY_SERVER_AUDIT_TRAIL_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "linkgateway/audit/v1/audit.pb.h"

struct evp_md_ctx_st;

namespace linkgateway::server::audit {

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(absl::string_view bytes);

// A SHA-256 fed piece by piece, whose digest so far can be read at any time.
class RunningSha256 {
 public:
  RunningSha256();
  RunningSha256(RunningSha256 const& other);
  RunningSha256& operator=(RunningSha256 const& other);
  ~RunningSha256();

  void Update(absl::string_view bytes);
  // Lowercase hex digest of everything fed so far (the state is kept).
  std::string Hex() const;

 private:
  evp_md_ctx_st* ctx_;
};

// Path of the file `index` places back: 0 is the current file, 1 the last
// one rotated ("audit.jsonl.1"), ...
std::string TrailFileName(std::string const& path, int index);

// One existing file of the trail.
struct FileScan {
  std::int64_t bytes = 0;           // its size
  std::int64_t complete_bytes = 0;  // up to and with its last newline
  RunningSha256 complete_digest;    // of its first complete_bytes bytes
  std::string all_sha256;           // hex, of all its bytes
  std::string last_line_hash;       // hex, of its last complete line; "" when none
  std::uint64_t last_sequence = 0;  // of that line, when it parses
  bool last_line_parses = false;
  std::optional<absl::Time> first_record_time;
  bool torn() const { return bytes != complete_bytes; }
};

// Reads the file at `path`; NOT_FOUND when there is none.
absl::StatusOr<FileScan> ScanTrailFile(std::string const& path);

// Parses one line of the trail.
bool ParseRecordLine(absl::string_view line, linkgateway::audit::v1::AuditRecord& record);

}  // namespace linkgateway::server::audit

#endif  // LINKGATEWAY_SERVER_AUDIT_TRAIL_FILE_H_
