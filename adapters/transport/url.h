// Building upstream URLs and form bodies from caller input, always escaped.
#ifndef LINKGATEWAY_ADAPTERS_TRANSPORT_URL_H_
#define LINKGATEWAY_ADAPTERS_TRANSPORT_URL_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace linkgateway::adapters::transport {

// Percent-encodes everything but RFC 3986 unreserved characters (libcurl's
// curl_easy_escape), so a value can never add a path segment or a query.
std::string Escape(absl::string_view value);

// base + "/" + each escaped segment. A segment that is empty, "." or ".."
// would change the path's meaning: INVALID_ARGUMENT, before any call.
absl::StatusOr<std::string> JoinPath(absl::string_view base,
                                     std::initializer_list<absl::string_view> segments);

// application/x-www-form-urlencoded body.
std::string FormEncode(std::vector<std::pair<std::string, std::string>> const& fields);

}  // namespace linkgateway::adapters::transport

#endif  // LINKGATEWAY_ADAPTERS_TRANSPORT_URL_H_
