// Text an upstream sent, made safe to pass on to a caller: in a status
// message, ErrorInfo metadata, RequestInfo, or a response field. Protobuf
// strings must be valid UTF-8 (a client fails to decode details otherwise)
// and trailers have a size limit (an oversized one replaces the caller's
// real status with RESOURCE_EXHAUSTED), so nothing from an upstream goes out
// unbounded or unchecked.
#ifndef LINKGATEWAY_ADAPTERS_ERRORS_UPSTREAM_TEXT_H_
#define LINKGATEWAY_ADAPTERS_ERRORS_UPSTREAM_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace linkgateway::adapters::errors {

// Bounds for what the gateway passes on.
inline constexpr std::size_t kMaxUpstreamMessageBytes = 512;  // messages, descriptions
inline constexpr std::size_t kMaxUpstreamValueBytes = 256;    // metadata values
inline constexpr std::size_t kMaxUpstreamIdBytes = 128;       // request ids, codes

// `text` with surrounding whitespace removed, every invalid UTF-8 sequence
// and every control character (C0, DEL, C1; tab and newline become spaces)
// replaced by U+FFFD, and cut to at most `max_bytes` bytes at a character
// boundary ("..." marks a cut).
std::string SafeText(absl::string_view text, std::size_t max_bytes);

}  // namespace linkgateway::adapters::errors

#endif  // LINKGATEWAY_ADAPTERS_ERRORS_UPSTREAM_TEXT_H_
