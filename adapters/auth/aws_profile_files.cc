#include "adapters/auth/aws_profile_files.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace linkgateway::adapters::auth {
namespace {

constexpr absl::string_view kDefaultSection = "DEFAULT";

// Python's shlex.split in POSIX mode, for "profile NAME" section names;
// nullopt where shlex raises (an unclosed quote or a trailing backslash).
std::optional<std::vector<std::string>> ShellSplit(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word.push_back(text[++i]);
      } else if (c == '\\' && i + 1 == text.size()) {
        return std::nullopt;
      } else {
        word.push_back(c);
      }
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 == text.size()) return std::nullopt;
      word.push_back(text[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

}  // namespace

absl::StatusOr<AwsProfiles> ParseIniSections(absl::string_view text) {
  // configparser keeps the lines of each value, joins them at the end.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> sections;
  std::map<std::string, std::vector<std::string>> defaults;
  std::set<std::string> seen_sections;
  std::map<std::string, std::vector<std::string>>* section = nullptr;
  std::string section_name;
  std::vector<std::string>* value = nullptr;  // the option being continued
  std::size_t option_indent = 0;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(stripped, "#") || absl::StartsWith(stripped, ";")) continue;
    if (stripped.empty()) {
      // A blank line inside a continued value belongs to it; trailing ones
      // are trimmed when the value is joined.
      if (value != nullptr) value->emplace_back();
      continue;
    }
    std::size_t indent = line.find_first_not_of(" \t\f\v");
    if (section != nullptr && value != nullptr && indent > option_indent) {
      value->emplace_back(stripped);
      continue;
    }
    option_indent = indent;
    value = nullptr;
    // configparser's "\[(.+)\]" at the start: up to the last "]" on the line.
    std::size_t close = stripped.rfind(']');
    if (stripped.front() == '[' && close != absl::string_view::npos && close >= 2) {
      section_name = std::string(stripped.substr(1, close - 1));
      if (section_name == kDefaultSection) {
        section = &defaults;
        continue;
      }
      if (!seen_sections.insert(section_name).second) {
        return LineError(line_number, absl::StrCat("section [", section_name, "] repeats"));
      }
      section = &sections[section_name];
      continue;
    }
    if (section == nullptr) return LineError(line_number, "a setting before any [section]");
    std::size_t delimiter = stripped.find_first_of("=:");
    if (delimiter == absl::string_view::npos) {
      return LineError(line_number, "not a [section], a comment or a key = value line");
    }
    std::string key =
        absl::AsciiStrToLower(absl::StripTrailingAsciiWhitespace(stripped.substr(0, delimiter)));
    if (key.empty()) return LineError(line_number, "a setting without a name");
    if (section->count(key) != 0) {
      return LineError(line_number, absl::StrCat("\"", key, "\" repeats in [", section_name, "]"));
    }
    value = &(*section)[key];
    value->emplace_back(absl::StripAsciiWhitespace(stripped.substr(delimiter + 1)));
  }
  auto join = [](std::vector<std::string> const& lines) {
    return std::string(absl::StripTrailingAsciiWhitespace(absl::StrJoin(lines, "\n")));
  };
  AwsProfiles out;
  for (auto const& [name, options] : sections) {
    AwsProfile& profile = out[name];
    for (auto const& [key, lines] : defaults) profile[key] = join(lines);
    for (auto const& [key, lines] : options) profile[key] = join(lines);
  }
  return out;
}

AwsProfiles ConfigFileProfiles(AwsProfiles const& sections) {
  AwsProfiles profiles;
  for (auto const& [name, settings] : sections) {
    if (absl::StartsWith(name, "profile")) {
      auto parts = ShellSplit(name);
      if (parts && parts->size() == 2) profiles[(*parts)[1]] = settings;
    } else if (name == "default") {
      profiles[name] = settings;
    }
  }
  return profiles;
}

std::string const* ProfileValue(AwsProfile const& profile, absl::string_view key) {
  auto it = profile.find(std::string(key));
  return it == profile.end() ? nullptr : &it->second;
}

absl::StatusOr<std::optional<AwsCredentials>> StaticKeysOf(AwsProfile const& profile,
                                                           std::string const& where) {
  std::string const* id = ProfileValue(profile, "aws_access_key_id");
  if (id == nullptr) return std::nullopt;
  std::string const* secret = ProfileValue(profile, "aws_secret_access_key");
  if (secret == nullptr || secret->empty() || id->empty()) {
    return AwsCredentialsMissing(
        absl::StrCat(where, " needs both aws_access_key_id and aws_secret_access_key"));
  }
  AwsCredentials credentials{*id, *secret, "", absl::InfiniteFuture()};
  for (char const* token : {"aws_security_token", "aws_session_token"}) {
    if (std::string const* value = ProfileValue(profile, token)) {
      credentials.session_token = *value;
      break;
    }
  }
  return credentials;
}

}  // namespace linkgateway::adapters::auth
