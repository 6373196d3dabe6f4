// The gateway's own log lines ("linkgateway: ..." on standard error), with a
// level threshold set from the configuration (observability.log_level).
// Debian's abseil (20220623) predates absl/log, hence this small helper.
#ifndef LINKGATEWAY_OBSERVABILITY_LOG_LOG_H_
#define LINKGATEWAY_OBSERVABILITY_LOG_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace linkgateway::observability::log {

enum class Level { kDebug = 1, kInfo = 2, kWarning = 3, kError = 4 };

// Lines below `level` are dropped from now on. Default kInfo.
void SetLevel(Level level);
bool Enabled(Level level);

// Writes one line, whole (one write(2)), prefixed "linkgateway: " and, for
// warnings and errors, "WARNING: " / "ERROR: ".
void Write(Level level, absl::string_view message);
// "linkgateway: " + message, unconditionally.
void WriteLine(absl::string_view message);

// Written whatever the level: lines others wait for ("listening on ...").
template <typename... Parts>
void Announce(Parts const&... parts) {
  WriteLine(absl::StrCat(parts...));
}

template <typename... Parts>
void Debug(Parts const&... parts) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, absl::StrCat(parts...));
}
template <typename... Parts>
void Info(Parts const&... parts) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, absl::StrCat(parts...));
}
template <typename... Parts>
void Warning(Parts const&... parts) {
  if (Enabled(Level::kWarning)) Write(Level::kWarning, absl::StrCat(parts...));
}
template <typename... Parts>
void Error(Parts const&... parts) {
  if (Enabled(Level::kError)) Write(Level::kError, absl::StrCat(parts...));
}

}  // namespace linkgateway::observability::log

#endif  // LINKGATEWAY_OBSERVABILITY_LOG_LOG_H_
