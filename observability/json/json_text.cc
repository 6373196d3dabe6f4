#include "observability/json/json_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace linkgateway::observability::json {
namespace {

bool NeedsEscape(unsigned char byte) {
  return byte < 0x20 || byte == 0x7f || byte == '"' || byte == '\\';
}

// `value` in `width` digits, zero-padded (value >= 0).
void AppendDigits(std::int64_t value, int width, std::string& out) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 20);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

// 0, 3, 6 or 9 fractional digits, as protobuf's JSON printer writes them.
void AppendFraction(std::int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  out.push_back('.');
  if (nanos % 1000000 == 0) return AppendDigits(nanos / 1000000, 3, out);
  if (nanos % 1000 == 0) return AppendDigits(nanos / 1000, 6, out);
  AppendDigits(nanos, 9, out);
}

}  // namespace

void AppendJsonString(absl::string_view text, std::string& out) {
  out.push_back('"');
  std::size_t run = 0;  // the start of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (!NeedsEscape(byte)) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void AppendJsonTimestamp(std::int64_t seconds, std::int32_t nanos, std::string& out) {
  // CivilSecond and digits by hand: absl::FormatTime costs microseconds.
  absl::CivilSecond civil =
      absl::ToCivilSecond(absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  if (civil.year() < 0 || civil.year() > 9999) {  // outside Timestamp's range
    absl::StrAppendFormat(&out, "\"%04d-%02d-%02dT%02d:%02d:%02d", civil.year(), civil.month(),
                          civil.day(), civil.hour(), civil.minute(), civil.second());
    AppendFraction(nanos, out);
    out += "Z\"";
    return;
  }
  out.push_back('"');
  std::int64_t const fields[] = {civil.year(), civil.month(),  civil.day(),
                                 civil.hour(), civil.minute(), civil.second()};
  char const separators[] = "--T::";
  for (int i = 0; i < 6; ++i) {
    AppendDigits(fields[i], i == 0 ? 4 : 2, out);
    if (i < 5) out.push_back(separators[i]);
  }
  AppendFraction(nanos, out);
  out += "Z\"";
}

void AppendJsonDuration(std::int64_t seconds, std::int32_t nanos, std::string& out) {
  bool negative = seconds < 0 || nanos < 0;
  out.push_back('"');
  if (negative) out.push_back('-');
  absl::StrAppend(&out, negative ? -seconds : seconds);
  AppendFraction(negative ? -nanos : nanos, out);
  out += "s\"";
}

}  // namespace linkgateway::observability::json
