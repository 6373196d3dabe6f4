#include "adapters/transport/http.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace linkgateway::adapters::transport {

std::string HttpResponse::Header(absl::string_view name) const {
  for (auto const& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::optional<absl::Duration> RetryAfter(HttpResponse const& response, absl::Time now) {
  std::string value(absl::StripAsciiWhitespace(response.Header("retry-after")));
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    return seconds >= 0 ? std::optional(absl::Seconds(seconds)) : std::nullopt;
  }
  absl::Time when;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(), &when, &error)) {
    return std::max(when - now, absl::ZeroDuration());
  }
  return std::nullopt;
}

}  // namespace linkgateway::adapters::transport
