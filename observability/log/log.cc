#include "observability/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace linkgateway::observability::log {
namespace {

std::atomic<int> threshold{static_cast<int>(Level::kInfo)};

}  // namespace

void SetLevel(Level level) { threshold.store(static_cast<int>(level), std::memory_order_relaxed); }

bool Enabled(Level level) {
  return static_cast<int>(level) >= threshold.load(std::memory_order_relaxed);
}

void Write(Level level, absl::string_view message) {
  if (!Enabled(level)) return;
  char const* tag = level == Level::kWarning ? "WARNING: "
                    : level == Level::kError ? "ERROR: "
                    : level == Level::kDebug ? "debug: "
                                             : "";
  WriteLine(absl::StrCat(tag, message));
}

void WriteLine(absl::string_view message) {
  std::string line = absl::StrCat("linkgateway: ", message, "\n");
  // One write per line, so lines from several threads never interleave.
  absl::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace linkgateway::observability::log
