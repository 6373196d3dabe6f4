// Where AWS credentials come from: the AWS SDKs' default credential chain,
// in botocore's order and with its semantics (docs/aws-credentials.md):
//
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//      AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN), AWS_CREDENTIAL_EXPIRATION;
//   2. the profile (AWS_DEFAULT_PROFILE, AWS_PROFILE, else "default") in the
//      shared config and credentials files (AWS_CONFIG_FILE,
//      AWS_SHARED_CREDENTIALS_FILE): role_arn with source_profile or
//      credential_source (STS AssumeRole, chains of them), then
//      web_identity_token_file, the AWS_WEB_IDENTITY_TOKEN_FILE /
//      AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME variables overriding the
//      profile's (STS AssumeRoleWithWebIdentity), then static keys in the
//      credentials file, then in the config file;
//   3. the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
//      AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN
//      or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE);
//   4. EC2 instance metadata, IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true).
//
// The first link that applies decides; a link that applies but fails is an
// error (the chain does not go on to the next). What botocore would do but
// a gateway must not (prompt for an MFA code, run credential_process, SSO
// logins) is refused with an error naming it, never skipped.
//
// Also here: a web identity and a role assumption named by the gateway's own
// configuration rather than the environment. Each planner is one instance
// per account: nothing is global but the process environment it reads.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIAL_CHAIN_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIAL_CHAIN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/auth/aws_credentials_cache.h"
#include "adapters/auth/credential_endpoints.h"
#include "adapters/auth/sts_client.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

// Reads one environment variable; nullopt when it is not set.
using GetEnv = std::function<std::optional<std::string>(std::string const& name)>;
// The process's environment.
GetEnv ProcessEnvironment();

// The static keys in `env`: nullopt when AWS_ACCESS_KEY_ID is unset or
// empty; an error when it is set but AWS_SECRET_ACCESS_KEY is not, or
// AWS_CREDENTIAL_EXPIRATION is not a timestamp or has passed.
absl::StatusOr<std::optional<AwsCredentials>> EnvironmentKeys(GetEnv const& env, absl::Time now);

struct AwsChainOptions {
  // The profile instead of AWS_DEFAULT_PROFILE / AWS_PROFILE. Like an SDK's
  // explicitly named profile, it also turns off the environment's keys and
  // web identity variables.
  std::string profile;
  // Instead of AWS_CONFIG_FILE (~/.aws/config) and
  // AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials).
  std::string config_file;
  std::string credentials_file;
  // Role session names the configuration leaves out: "<prefix>-<unix time>".
  std::string session_name_prefix = "linkgateway";

  bool container_disabled = false;
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved.
  std::string container_relative_endpoint = kEcsCredentialsEndpoint;
  absl::Duration container_timeout = absl::Seconds(2);
  int container_attempts = 3;
  absl::Duration container_retry_delay = absl::Seconds(1);

  bool imds_disabled = false;
  // Instead of AWS_EC2_METADATA_SERVICE_ENDPOINT (and _MODE), the profile's
  // ec2_metadata_service_endpoint, AWS_METADATA_SERVICE_TIMEOUT and
  // AWS_METADATA_SERVICE_NUM_ATTEMPTS.
  std::string imds_endpoint;
  std::optional<absl::Duration> imds_timeout;
  std::optional<int> imds_attempts;

  // The environment to read (tests give their own); default the process's.
  GetEnv getenv;
};

// The default chain. `sts` (shared by the planner's fetches), `transport` and
// `clock` must outlive what is fetched.
std::unique_ptr<AwsCredentialPlanner> MakeAwsChainPlanner(
    AwsChainOptions options, std::shared_ptr<StsClient> sts,
    adapters::transport::HttpTransport& transport, adapters::async::Scheduler& clock);

struct AwsWebIdentityOptions {
  std::string token_file;
  std::string role_arn;
  std::string role_session_name;  // empty: "<prefix>-<unix time of start-up>"
  std::string session_name_prefix = "linkgateway";
  std::optional<int> duration_seconds;
};

// AssumeRoleWithWebIdentity with the token in `token_file`, read again
// whenever it changes (Kubernetes rotates projected service account tokens).
std::unique_ptr<AwsCredentialPlanner> MakeWebIdentityPlanner(AwsWebIdentityOptions options,
                                                             std::shared_ptr<StsClient> sts);

// AssumeRole of `params` with the credentials `source` gives (an empty
// session name becomes "<prefix>-<unix time>").
std::unique_ptr<AwsCredentialPlanner> MakeAssumeRolePlanner(
    AssumeRoleParams params, std::string session_name_prefix,
    std::shared_ptr<AwsCredentialsProvider> source, std::shared_ptr<StsClient> sts);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIAL_CHAIN_H_
