// The HTTP credential endpoints next to the gateway: the container
// credentials endpoint (ECS task roles, EKS Pod Identity) and EC2 instance
// metadata (IMDSv2). Both answer with the same JSON document (AccessKeyId,
// SecretAccessKey, Token, Expiration). Requests go through the shared
// transport marked as credential endpoints: plain http is allowed there, and
// only there, to the addresses these services live on.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_CREDENTIAL_ENDPOINTS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_CREDENTIAL_ENDPOINTS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/auth/watched_file.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

// Where ECS serves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
inline constexpr char kEcsCredentialsEndpoint[] = "http://169.254.170.2";
// EC2 instance metadata, IPv4 and IPv6.
inline constexpr char kImdsEndpoint[] = "http://169.254.169.254";
inline constexpr char kImdsEndpointIpv6[] = "http://[fd00:ec2::254]";

struct ContainerCredentialsOptions {
  // The full URL (checked with CheckContainerCredentialsUrl).
  std::string url;
  // The Authorization header: a fixed token, or a file read (again when it
  // changes) at every fetch, which wins when both are set.
  std::string authorization;
  std::shared_ptr<WatchedFile> authorization_file;
  // Per attempt; attempts are spaced by retry_delay (the SDKs: 2 s, 3, 1 s).
  absl::Duration timeout = absl::Seconds(2);
  int attempts = 3;
  absl::Duration retry_delay = absl::Seconds(1);
};

// The SDKs' rule for AWS_CONTAINER_CREDENTIALS_FULL_URI: https to any host;
// http only to a loopback address, 169.254.170.2 (ECS), 169.254.170.23 or
// fd00:ec2::23 (EKS Pod Identity). FAILED_PRECONDITION otherwise.
absl::Status CheckContainerCredentialsUrl(std::string const& url);

// GET the container credentials endpoint. `done` runs exactly once.
void FetchContainerCredentials(ContainerCredentialsOptions const& options,
                               adapters::transport::HttpTransport& transport,
                               adapters::async::Scheduler& clock, absl::Time deadline,
                               adapters::transport::Done<AwsCredentials> done);

struct InstanceMetadataOptions {
  std::string endpoint = kImdsEndpoint;
  // Per request, and attempts per step (botocore: 1 s, 1 attempt;
  // AWS_METADATA_SERVICE_TIMEOUT, AWS_METADATA_SERVICE_NUM_ATTEMPTS).
  absl::Duration timeout = absl::Seconds(1);
  int attempts = 1;
  // The session token's lifetime asked for in the PUT.
  int token_ttl_seconds = 21600;
};

// IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), then
// with the token GET .../iam/security-credentials/ for the role's name and
// GET .../iam/security-credentials/<role> for its credentials. There is no
// fall-back to IMDSv1. `done` runs exactly once.
void FetchInstanceMetadataCredentials(InstanceMetadataOptions const& options,
                                      adapters::transport::HttpTransport& transport,
                                      adapters::async::Scheduler& clock, absl::Time deadline,
                                      adapters::transport::Done<AwsCredentials> done);

// The credentials document both endpoints answer with (exposed for tests and
// the fuzzer); a mapped UPSTREAM_MALFORMED_RESPONSE of `errors` when it lacks
// a member or, for IMDS, its Code is not "Success".
absl::StatusOr<AwsCredentials> ParseCredentialsDocument(
    adapters::errors::ProviderErrors const& errors, absl::string_view json);

adapters::errors::ProviderErrors const& ContainerCredentialsErrors();
adapters::errors::ProviderErrors const& InstanceMetadataErrors();

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_CREDENTIAL_ENDPOINTS_H_
