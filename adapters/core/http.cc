#include "adapters/core/http.h"

#include "absl/strings/match.h"

namespace linkgateway::core {

std::string HttpResponse::Header(absl::string_view name) const {
  for (auto const& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

}  // namespace linkgateway::core
