#include "adapters/errors/upstream_text.h"

#include <cstdint>

#include "absl/strings/ascii.h"

namespace linkgateway::adapters::errors {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `s` and its code point;
// 0 when the first byte does not start one (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t DecodeOne(absl::string_view s, std::uint32_t& code_point) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  std::size_t length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (length == 0 || b0 > 0xF4 || s.size() < length) return 0;
  std::uint32_t cp = b0 & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  code_point = cp;
  return length;
}

}  // namespace

std::string SafeText(absl::string_view text, std::size_t max_bytes) {
  text = absl::StripAsciiWhitespace(text);
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool cut = false;
  while (!text.empty()) {
    std::uint32_t cp = 0;
    std::size_t length = DecodeOne(text, cp);
    absl::string_view piece;
    if (length == 0) {
      piece = kReplacement;
      length = 1;
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
      piece = " ";
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      piece = kReplacement;
    } else {
      piece = text.substr(0, length);
    }
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out.append(piece.data(), piece.size());
    text.remove_prefix(length);
  }
  if (cut) {
    // Room for the marker, still at a character boundary.
    while (!out.empty() && out.size() + 3 > max_bytes) {
      std::size_t back = out.size() - 1;
      while (back > 0 && (static_cast<unsigned char>(out[back]) & 0xC0) == 0x80) --back;
      out.resize(back);
    }
    out.append("...");
  }
  return out;
}

}  // namespace linkgateway::adapters::errors
