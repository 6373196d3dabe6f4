// AWS credentials for SigV4: from the standard environment variables or a
// shared credentials file (~/.aws/credentials format).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace linkgateway::adapters::auth {

// AWS credentials for SigV4. Never logged.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

class AwsCredentialsProvider {
 public:
  virtual ~AwsCredentialsProvider() = default;
  // The current credentials; FAILED_PRECONDITION naming what is missing
  // (never a value) when there are none.
  virtual absl::StatusOr<AwsCredentials> Get() = 0;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN,
// read on every call.
std::unique_ptr<AwsCredentialsProvider> MakeEnvironmentAwsCredentials();

// `profile` of the shared credentials file at `path`; the file is read again
// whenever it changes, so rotated session credentials are picked up.
std::unique_ptr<AwsCredentialsProvider> MakeFileAwsCredentials(std::string path,
                                                               std::string profile);

// Parses the shared credentials file format (exposed for tests).
absl::StatusOr<AwsCredentials> ParseAwsCredentialsFile(std::string const& contents,
                                                       std::string const& profile);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_
