#include "adapters/transport/url.h"

#include <curl/curl.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace linkgateway::adapters::transport {

std::string Escape(absl::string_view value) {
  // The handle argument is unused since libcurl 7.82.
  char* escaped = curl_easy_escape(nullptr, value.data(), static_cast<int>(value.size()));
  if (escaped == nullptr) return "";
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

absl::StatusOr<std::string> JoinPath(absl::string_view base,
                                     std::initializer_list<absl::string_view> segments) {
  std::string url(absl::StripSuffix(base, "/"));
  for (absl::string_view segment : segments) {
    if (segment.empty() || segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("a path segment may not be empty, \".\" or \"..\""));
    }
    absl::StrAppend(&url, "/", Escape(segment));
  }
  return url;
}

std::string FormEncode(std::vector<std::pair<std::string, std::string>> const& fields) {
  std::string body;
  for (auto const& [name, value] : fields) {
    absl::StrAppend(&body, body.empty() ? "" : "&", Escape(name), "=", Escape(value));
  }
  return body;
}

}  // namespace linkgateway::adapters::transport
