// Static AWS keys, read anew on every call: from the environment, or from
// one profile of a shared credentials file (again only when it changed).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_STATIC_CREDENTIALS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_STATIC_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/auth/aws_credentials.h"

namespace linkgateway::adapters::auth {

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN,
// read on every call.
std::unique_ptr<AwsCredentialsProvider> MakeEnvironmentAwsCredentials();

// The static keys of `profile` in the shared credentials file at `path`; the
// file is read again whenever it changes, so rotated keys are picked up.
std::unique_ptr<AwsCredentialsProvider> MakeFileAwsCredentials(std::string path,
                                                               std::string profile);

// Parses the shared credentials file format and returns the static keys of
// `profile` (exposed for the fuzzer and tests).
absl::StatusOr<AwsCredentials> ParseAwsCredentialsFile(std::string const& contents,
                                                       std::string const& profile);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_STATIC_CREDENTIALS_H_
