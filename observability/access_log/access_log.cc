#include "observability/access_log/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "observability/json/audit_record_json.h"

namespace linkgateway::observability::access_log {
namespace {

using linkgateway::audit::v1::AuditRecord;

// Plain values stay as they are; anything else is quoted and C-escaped.
std::string Value(absl::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c)) || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  return plain ? std::string(value) : absl::StrCat("\"", absl::CEscape(value), "\"");
}

std::string ShortMethod(absl::string_view method) {
  auto slash = method.rfind('/');
  return std::string(slash == absl::string_view::npos ? method : method.substr(slash + 1));
}

std::string AuthenticatedBy(linkgateway::audit::v1::AuthenticationMethod method) {
  std::string name = linkgateway::audit::v1::AuthenticationMethod_Name(method);
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, "AUTHENTICATION_METHOD_");
  return absl::AsciiStrToLower(rest);
}

ssize_t WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

std::string AccessLogText(AuditRecord const& record) {
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                       absl::FromUnixNanos(
                           google::protobuf::util::TimeUtil::TimestampToNanoseconds(record.time())),
                       absl::UTCTimeZone()),
      " ", ShortMethod(record.method()), " ", record.provider().empty() ? "-" : record.provider(),
      " ", record.outcome().code(),
      record.outcome().reason().empty() ? "" : absl::StrCat("/", record.outcome().reason()), " ",
      absl::StrFormat("%.1fms",
                      static_cast<double>(google::protobuf::util::TimeUtil::DurationToMicroseconds(
                          record.latency())) /
                          1000.0));
  auto const& caller = record.caller();
  absl::StrAppend(&line,
                  " caller=", caller.principal().empty() ? "anonymous" : Value(caller.principal()),
                  "/", AuthenticatedBy(caller.authenticated_by()), " peer=", Value(caller.peer()));
  if (!record.account().empty()) absl::StrAppend(&line, " account=", Value(record.account()));
  if (record.validate_only()) absl::StrAppend(&line, " validate_only=true");
  if (record.outcome().already_deleted()) absl::StrAppend(&line, " already_deleted=true");
  if (!record.outcome().policy_rule().empty()) {
    absl::StrAppend(&line, " policy_rule=", Value(record.outcome().policy_rule()));
  }
  std::map<std::string, std::string> target(record.target().begin(), record.target().end());
  for (auto const& [field, value] : target) {
    absl::StrAppend(&line, " target.", field, "=", Value(value));
  }
  auto const& upstream = record.upstream();
  if (upstream.attempts() > 0) absl::StrAppend(&line, " upstream_attempts=", upstream.attempts());
  if (upstream.http_status() > 0)
    absl::StrAppend(&line, " upstream_status=", upstream.http_status());
  if (!upstream.request_id().empty()) {
    absl::StrAppend(&line, " upstream_request_id=", Value(upstream.request_id()));
  }
  if (!record.request_id().empty())
    absl::StrAppend(&line, " request_id=", Value(record.request_id()));
  if (!record.trace_id().empty()) absl::StrAppend(&line, " trace_id=", Value(record.trace_id()));
  return line;
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(config::v1::AccessLog const& config,
                                                           observability::metrics::Counter& dropped,
                                                           std::size_t max_buffered_bytes) {
  int fd = STDERR_FILENO;
  bool owns = false;
  if (!config.path().empty()) {
    fd = ::open(config.path().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      return absl::UnavailableError(absl::StrCat("observability.access_log.path: cannot open ",
                                                 config.path(), ": ", std::strerror(errno)));
    }
    owns = true;
  }
  bool json = config.format() != config::v1::ACCESS_LOG_FORMAT_TEXT;
  return std::unique_ptr<AccessLog>(new AccessLog(fd, owns, json, dropped, max_buffered_bytes));
}

AccessLog::AccessLog(int fd, bool owns_fd, bool json, observability::metrics::Counter& dropped,
                     std::size_t max_bytes)
    : fd_(fd), owns_fd_(owns_fd), json_(json), dropped_(dropped), max_buffered_bytes_(max_bytes) {
  writer_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::Write(AuditRecord const& record) {
  std::string line = json_ ? observability::json::AuditRecordJson(record) : AccessLogText(record);
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  if (buffer_.size() + line.size() > max_buffered_bytes_) {
    dropped_.Increment();
    return;
  }
  buffer_ += line;
}

void AccessLog::Run() {
  for (;;) {
    std::string batch;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !buffer_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      batch.swap(buffer_);
      stopping = stopping_;
    }
    // A failed write loses its batch (counted); the log must never stop calls.
    if (!batch.empty() && WriteAll(fd_, batch) != 0) {
      dropped_.Increment(static_cast<std::uint64_t>(std::count(batch.begin(), batch.end(), '\n')));
    }
    if (stopping && batch.empty()) return;
  }
}

}  // namespace linkgateway::observability::access_log
