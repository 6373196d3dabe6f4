#include "server/audit/trail_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace linkgateway::server::audit {

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(digest), sizeof(digest)));
}

RunningSha256::RunningSha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
}

RunningSha256::RunningSha256(RunningSha256 const& other) : ctx_(EVP_MD_CTX_new()) {
  EVP_MD_CTX_copy_ex(ctx_, other.ctx_);
}

RunningSha256& RunningSha256::operator=(RunningSha256 const& other) {
  if (this != &other) EVP_MD_CTX_copy_ex(ctx_, other.ctx_);
  return *this;
}

RunningSha256::~RunningSha256() { EVP_MD_CTX_free(ctx_); }

void RunningSha256::Update(absl::string_view bytes) {
  EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}

std::string RunningSha256::Hex() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, ctx_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(copy, digest, &length);
  EVP_MD_CTX_free(copy);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char const*>(digest), length));
}

std::string TrailFileName(std::string const& path, int index) {
  return index == 0 ? path : absl::StrCat(path, ".", index);
}

bool ParseRecordLine(absl::string_view line, linkgateway::audit::v1::AuditRecord& record) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer gateway's fields
  return google::protobuf::util::JsonStringToMessage(std::string(line), &record, options).ok();
}

absl::StatusOr<FileScan> ScanTrailFile(std::string const& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  FileScan scan;
  RunningSha256 all;
  std::string line, last_line, first_line;
  bool first_seen = false;
  std::string buffer(1 << 20, '\0');
  for (;;) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    absl::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    all.Update(chunk);
    while (!chunk.empty()) {
      auto newline = chunk.find('\n');
      if (newline == absl::string_view::npos) {
        line.append(chunk.data(), chunk.size());
        break;
      }
      line.append(chunk.data(), newline);
      scan.complete_digest.Update(line);
      scan.complete_digest.Update("\n");
      scan.complete_bytes += static_cast<std::int64_t>(line.size()) + 1;
      if (!first_seen) {
        first_line = line;
        first_seen = true;
      }
      last_line.swap(line);
      line.clear();
      chunk.remove_prefix(newline + 1);
    }
    scan.bytes += n;
  }
  close(fd);
  scan.all_sha256 = all.Hex();
  if (scan.complete_bytes > 0) {
    scan.last_line_hash = Sha256Hex(last_line);
    linkgateway::audit::v1::AuditRecord record;
    scan.last_line_parses = ParseRecordLine(last_line, record);
    if (scan.last_line_parses) scan.last_sequence = record.sequence();
    linkgateway::audit::v1::AuditRecord first;
    if (ParseRecordLine(first_line, first) && first.has_time()) {
      scan.first_record_time = absl::FromUnixNanos(
          google::protobuf::util::TimeUtil::TimestampToNanoseconds(first.time()));
    }
  }
  return scan;
}

}  // namespace linkgateway::server::audit
