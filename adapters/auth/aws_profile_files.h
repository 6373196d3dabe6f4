// The AWS shared config and credentials files (~/.aws/config,
// ~/.aws/credentials), read as botocore reads them: Python's configparser
// rules ("key = value" or "key: value", keys case-folded, whole-line "#" and
// ";" comments, indented continuation lines, a [DEFAULT] section every other
// section inherits, a repeated section or key in one file is an error), then
// botocore's profile naming ([default] and [profile NAME] in the config
// file, [NAME] in the credentials file).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_PROFILE_FILES_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_PROFILE_FILES_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/auth/aws_credentials.h"

namespace linkgateway::adapters::auth {

// One section's settings, by lower-case key. A continued value keeps its
// lines joined by "\n".
using AwsProfile = std::map<std::string, std::string>;
// Profiles (or sections) by name.
using AwsProfiles = std::map<std::string, AwsProfile>;

// Every section of an INI text ([DEFAULT] merged into each). Errors name the
// line number, never a value.
absl::StatusOr<AwsProfiles> ParseIniSections(absl::string_view text);

// The profiles of a config file's sections: [default] and [profile NAME]
// (NAME may be quoted); other sections ([sso-session ...], [services ...])
// are not profiles.
AwsProfiles ConfigFileProfiles(AwsProfiles const& sections);

// A profile's value for `key`, or nullptr.
std::string const* ProfileValue(AwsProfile const& profile, absl::string_view key);

// The static keys of a profile: nullopt without aws_access_key_id;
// FAILED_PRECONDITION (naming `where`) when it lacks the secret. The token is
// aws_security_token, else aws_session_token (botocore's order).
absl::StatusOr<std::optional<AwsCredentials>> StaticKeysOf(AwsProfile const& profile,
                                                           std::string const& where);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_PROFILE_FILES_H_
