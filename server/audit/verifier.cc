#include "server/audit/verifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/audit/trail_file.h"

namespace linkgateway::server::audit {
namespace {

namespace pb = linkgateway::audit::v1;

constexpr absl::string_view kRecoveredMarker = "TRAIL_EVENT_KIND_RECOVERED";

struct Line {
  std::int64_t offset;
  absl::string_view text;
  int number;  // from 1
};

struct TrailFile {
  std::string name;  // the base name, for messages
  std::string bytes;
  std::vector<Line> lines;  // complete lines
  std::int64_t complete_bytes = 0;
};

std::string BaseName(std::string const& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ReadAll(std::string const& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return n == 0;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

void SplitLines(TrailFile& file) {
  absl::string_view rest = file.bytes;
  std::int64_t offset = 0;
  int number = 0;
  for (;;) {
    auto newline = rest.find('\n');
    if (newline == absl::string_view::npos) break;
    file.lines.push_back({offset, rest.substr(0, newline), ++number});
    offset += static_cast<std::int64_t>(newline) + 1;
    rest.remove_prefix(newline + 1);
  }
  file.complete_bytes = offset;
}

// The sequence a line claims, read without parsing it (for locating
// records only; the walk parses every line).
std::optional<std::uint64_t> SequenceOf(absl::string_view line) {
  constexpr absl::string_view kKey = "\"sequence\":\"";
  auto at = line.find(kKey);
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view digits = line.substr(at + kKey.size());
  digits = digits.substr(0, digits.find('"'));
  std::uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) return std::nullopt;
  return value;
}

class Verifier {
 public:
  Verifier(std::string path, SignatureVerifier const* key) : path_(std::move(path)), key_(key) {}

  VerifyReport Run() {
    if (!Load()) return report_;
    for (std::size_t f = 0; f < files_.size(); ++f) {
      if (!WalkFile(f)) return report_;
    }
    report_.intact = true;
    std::string summary =
        absl::StrCat("intact: ", report_.records, " records",
                     report_.records > 0
                         ? absl::StrCat(" (sequences ", first_sequence_, "-", last_sequence_, ")")
                         : "",
                     " in ", files_.size(), files_.size() == 1 ? " file" : " files");
    if (key_ != nullptr) {
      absl::StrAppend(&summary, "; ", signatures_, " signature(s) checked with key ",
                      key_->key_id());
    } else if (signatures_seen_ > 0) {
      absl::StrAppend(&summary, "; ", signatures_seen_,
                      " signature(s) not checked (no --public_key)");
    }
    report_.notes.push_back(summary);
    return report_;
  }

 private:
  bool Fail(std::string problem) {
    report_.problem = std::move(problem);
    return false;
  }

  std::string Where(TrailFile const& file, Line const& line,
                    std::optional<std::uint64_t> sequence = std::nullopt) const {
    std::string where = absl::StrCat(file.name, " line ", line.number);
    if (sequence) absl::StrAppend(&where, " (sequence ", *sequence, ")");
    return where;
  }

  // Every file of the trail, oldest first.
  bool Load() {
    int last = 0;
    for (int i = 1, missing = 0; missing < 64; ++i) {
      struct stat st {};
      if (stat(TrailFileName(path_, i).c_str(), &st) == 0) {
        last = i;
        missing = 0;
      } else {
        ++missing;
      }
    }
    for (int i = last; i >= 0; --i) {
      std::string name = TrailFileName(path_, i);
      TrailFile file;
      file.name = BaseName(name);
      if (!ReadAll(name, file.bytes)) {
        if (i == 0 && errno == ENOENT && last > 0) continue;  // rotated, nothing since
        if (errno == ENOENT) {
          return Fail(absl::StrCat("MISSING: ", file.name, " does not exist",
                                   last > 0 ? " (files before and after it do)" : ""));
        }
        return Fail(absl::StrCat("UNREADABLE: ", name, ": ", std::strerror(errno)));
      }
      SplitLines(file);
      files_.push_back(std::move(file));
    }
    for (std::size_t f = 0; f < files_.size(); ++f) {
      for (Line const& line : files_[f].lines) {
        if (auto sequence = SequenceOf(line.text))
          located_.emplace(*sequence, Where(files_[f], line));
      }
    }
    return true;
  }

  // The FileStart of a file: on its first record outside any region of
  // failed writes.
  std::optional<pb::FileStart> StartOf(TrailFile const& file) const {
    for (Line const& line : file.lines) {
      pb::AuditRecord record;
      if (ParseRecordLine(line.text, record) && record.has_file_start()) return record.file_start();
    }
    return std::nullopt;
  }

  // Regions of failed writes the file's RECOVERED records declare: start
  // offset -> end offset (where the RECOVERED line begins).
  std::map<std::int64_t, std::int64_t> RegionsOf(TrailFile const& file) const {
    std::map<std::int64_t, std::int64_t> regions;
    for (Line const& line : file.lines) {
      if (line.text.find(kRecoveredMarker) == absl::string_view::npos) continue;
      pb::AuditRecord record;
      if (!ParseRecordLine(line.text, record)) continue;
      auto const& event = record.trail_event();
      if (event.kind() == pb::TRAIL_EVENT_KIND_RECOVERED && event.unacknowledged_bytes() > 0 &&
          event.unacknowledged_offset() + event.unacknowledged_bytes() == line.offset) {
        regions[event.unacknowledged_offset()] = line.offset;
      }
    }
    return regions;
  }

  bool CheckSignature(pb::FileDigest const& digest, std::string const& where,
                      std::string const& what) {
    if (!digest.signature().empty()) ++signatures_seen_;
    if (key_ == nullptr) return true;
    if (digest.signature().empty()) {
      return Fail(absl::StrCat("UNSIGNED: ", where, ": the digest of ", what, " is not signed"));
    }
    if (digest.key_id() != key_->key_id() ||
        !key_->Verify(DigestSigningText(digest.sha256(), digest.bytes(), digest.last_sequence()),
                      digest.signature())) {
      return Fail(absl::StrCat("ALTERED: ", where, ": the signature of the digest of ", what,
                               " does not verify with key ", key_->key_id()));
    }
    ++signatures_;
    return true;
  }

  // The previous file against the digest its successor recorded.
  bool CheckPrevious(std::size_t f, pb::FileStart const& start, std::string const& where) {
    TrailFile const& previous = files_[f - 1];
    auto const& digest = start.previous_file();
    auto size = static_cast<std::int64_t>(previous.bytes.size());
    if (digest.bytes() > size ||
        Sha256Hex(absl::string_view(previous.bytes)
                      .substr(0, static_cast<std::size_t>(digest.bytes()))) != digest.sha256()) {
      return Fail(absl::StrCat("ALTERED: ", previous.name,
                               " does not match the digest recorded at the start of ",
                               files_[f].name, " (", where, ")"));
    }
    if (size > digest.bytes() && !start.previous_file_incomplete()) {
      return Fail(absl::StrCat("ALTERED: ", previous.name, " has ", size - digest.bytes(),
                               " bytes after the end ", files_[f].name, " recorded"));
    }
    if (previous.complete_bytes < digest.bytes() && !start.previous_file_incomplete()) {
      return Fail(absl::StrCat("ALTERED: ", previous.name, " ends with a torn line"));
    }
    if (digest.last_sequence() != last_sequence_) {
      return Fail(absl::StrCat("ALTERED: ", previous.name, " ends with sequence ", last_sequence_,
                               " but ", files_[f].name, " recorded ", digest.last_sequence()));
    }
    return CheckSignature(digest, where, previous.name);
  }

  // Where the chain of file `f` ends: the byte count its successor
  // recorded, and whether bytes after it are allowed.
  std::pair<std::int64_t, bool> EndOf(std::size_t f) const {
    auto size = static_cast<std::int64_t>(files_[f].bytes.size());
    if (f + 1 == files_.size()) return {size, true};
    auto start = StartOf(files_[f + 1]);
    if (!start || !start->has_previous_file()) return {size, false};
    return {std::min(size, start->previous_file().bytes()), start->previous_file_incomplete()};
  }

  // A chain break at `line` (record `record`, whose own hash is `hash`):
  // what it most likely is.
  std::string Classify(std::size_t f, std::size_t i, pb::AuditRecord const& record,
                       std::string const& hash) const {
    TrailFile const& file = files_[f];
    std::string here = Where(file, file.lines[i], record.sequence());
    std::uint64_t expected = last_sequence_ + 1;
    if (record.previous_hash() == last_hash_ && record.sequence() != expected) {
      return absl::StrCat("ALTERED: ", here, ": its sequence was changed (it follows sequence ",
                          last_sequence_, ")");
    }
    if (record.sequence() == expected) {
      // Whose line changed: this one, if the next record does not link to
      // it either; else the one before.
      std::optional<std::string> next_previous_hash;
      if (i + 1 < file.lines.size()) {
        pb::AuditRecord next;
        if (ParseRecordLine(file.lines[i + 1].text, next))
          next_previous_hash = next.previous_hash();
      }
      if (next_previous_hash && *next_previous_hash != hash) {
        return absl::StrCat("ALTERED: ", here,
                            ": it was changed (it does not link to the record before it, and the "
                            "record after it does not link to it)");
      }
      return absl::StrCat("ALTERED: ", last_where_,
                          ": it was changed (its hash is not the previous_hash recorded by ", here,
                          ")");
    }
    if (record.sequence() > expected) {
      if (auto at = located_.find(expected); at != located_.end()) {
        return absl::StrCat("REORDERED: sequence ", expected, " is at ", at->second, ", not after ",
                            last_where_);
      }
      return absl::StrCat(
          "MISSING: ",
          record.sequence() - expected == 1
              ? absl::StrCat("record ", expected, " is")
              : absl::StrCat("records ", expected, "-", record.sequence() - 1, " are"),
          " missing between ", last_where_, " and ", here);
    }
    return absl::StrCat("REORDERED: ", here, " comes after ", last_where_,
                        ": records were moved or repeated");
  }

  // A file of records written before the hash chain (none has a sequence):
  // not checked; the file after it holds its digest.
  bool PredatesTheChain(TrailFile const& file) const {
    if (file.lines.empty()) return false;
    for (Line const& line : file.lines) {
      if (SequenceOf(line.text).has_value()) return false;
      pb::AuditRecord record;
      if (!ParseRecordLine(line.text, record) || record.has_file_start()) return false;
    }
    return true;
  }

  bool WalkFile(std::size_t f) {
    TrailFile const& file = files_[f];
    if (PredatesTheChain(file)) {
      report_.notes.push_back(absl::StrCat(file.name, ": ", file.lines.size(),
                                           " records from before the hash chain, not checked"));
      last_sequence_ = 0;
      last_hash_ = Sha256Hex(file.lines.back().text);
      last_where_ = Where(file, file.lines.back());
      return true;
    }
    auto [end, tail_allowed] = EndOf(f);
    auto regions = RegionsOf(file);
    bool first = true;
    std::uint64_t file_first = 0, file_last = 0;
    std::size_t i = 0;
    while (i < file.lines.size() && file.lines[i].offset < end) {
      Line const& line = file.lines[i];
      if (auto region = regions.find(line.offset); region != regions.end()) {
        report_.notes.push_back(
            absl::StrCat(file.name, ": bytes ", region->first, "-", region->second,
                         " were written while the trail was failing; their calls were answered "
                         "AUDIT_UNAVAILABLE and they are not part of the chain"));
        while (i < file.lines.size() && file.lines[i].offset < region->second) ++i;
        continue;
      }
      pb::AuditRecord record;
      if (!ParseRecordLine(line.text, record)) {
        return Fail(absl::StrCat("ALTERED: ", Where(file, line),
                                 ": it is not an audit record (changed or torn)"));
      }
      std::string hash = Sha256Hex(line.text);
      std::string here = Where(file, line, record.sequence());
      bool linked = true;  // whether the record before it is known
      if (first) {
        if (!record.has_file_start()) {
          return Fail(absl::StrCat("MISSING: ", here,
                                   " does not start a file (no file_start): the file's "
                                   "beginning was cut"));
        }
        auto const& start = record.file_start();
        if (f > 0) {
          if (!start.has_previous_file()) {
            return Fail(
                absl::StrCat("ALTERED: ", here, " starts a new trail after ", files_[f - 1].name));
          }
        } else if (start.has_previous_file() && absl::StartsWith(start.reason(), "reopened")) {
          return Fail(
              absl::StrCat("MISSING: the file before ", file.name, " (records up to sequence ",
                           start.previous_file().last_sequence(),
                           ") was removed or renamed while the gateway wrote it (", here, ")"));
        } else if (start.has_previous_file()) {
          report_.notes.push_back(absl::StrCat(
              "the trail goes back before ", file.name,
              " (older files were rotated away): it starts at sequence ", record.sequence()));
          linked = false;
          if (!CheckSignature(start.previous_file(), here, "the file before it")) return false;
        } else {
          last_sequence_ = 0;
          last_hash_.clear();
        }
      } else if (record.has_file_start()) {
        return Fail(absl::StrCat("ALTERED: ", here, " carries a file_start inside ", file.name));
      }
      if (linked &&
          (record.sequence() != last_sequence_ + 1 || record.previous_hash() != last_hash_)) {
        return Fail(Classify(f, i, record, hash));
      }
      if (first && f > 0 && !CheckPrevious(f, record.file_start(), here)) return false;
      auto const& event = record.trail_event();
      if (event.kind() == pb::TRAIL_EVENT_KIND_SEALED) {
        auto const& sealed = event.sealed();
        if (sealed.bytes() != line.offset || sealed.last_sequence() != last_sequence_ ||
            Sha256Hex(
                absl::string_view(file.bytes).substr(0, static_cast<std::size_t>(line.offset))) !=
                sealed.sha256()) {
          return Fail(absl::StrCat("ALTERED: ", file.name, " before ", here,
                                   " does not match the digest its seal recorded"));
        }
        if (!CheckSignature(sealed, here, absl::StrCat(file.name, " up to its seal"))) return false;
      } else if (event.kind() == pb::TRAIL_EVENT_KIND_RECOVERED) {
        report_.notes.push_back(
            absl::StrCat(here, ": the trail was written again after: ", event.detail()));
      }
      if (report_.records == 0) first_sequence_ = record.sequence();
      if (first) file_first = record.sequence();
      file_last = record.sequence();
      first = false;
      last_sequence_ = record.sequence();
      last_hash_ = hash;
      last_where_ = here;
      ++report_.records;
      ++i;
    }
    // Bytes after the chain: a later file's start judges those of a rotated
    // file (CheckPrevious); the current file's are a write that failed or
    // is in progress.
    auto size = static_cast<std::int64_t>(file.bytes.size());
    std::int64_t chained = std::min(end, file.complete_bytes);
    if (i < file.lines.size()) chained = std::min(chained, file.lines[i].offset);
    if (size > chained && tail_allowed) {
      report_.notes.push_back(
          absl::StrCat(file.name, ": ", size - chained, " bytes after byte ", chained,
                       " are not part of the chain (a write that failed or was in progress)"));
    }
    report_.notes.push_back(
        first ? absl::StrCat(file.name, ": no records")
              : absl::StrCat(file.name, ": records ", file_first, "-", file_last));
    return true;
  }

  std::string const path_;
  SignatureVerifier const* const key_;
  std::vector<TrailFile> files_;
  std::multimap<std::uint64_t, std::string> located_;
  VerifyReport report_;
  std::uint64_t last_sequence_ = 0;
  std::string last_hash_;
  std::string last_where_ = "the start";
  std::uint64_t first_sequence_ = 0;
  int signatures_ = 0;
  int signatures_seen_ = 0;
};

}  // namespace

VerifyReport VerifyTrail(std::string const& path, SignatureVerifier const* key) {
  return Verifier(path, key).Run();
}

}  // namespace linkgateway::server::audit
