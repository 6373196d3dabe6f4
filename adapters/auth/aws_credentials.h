// AWS credentials for SigV4 and the interface every source of them serves
// (aws_static_credentials.h, aws_credential_chain.h): one asynchronous Get,
// whether the keys are at hand or come from STS, the container endpoint or
// instance metadata (docs/aws-credentials.md).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

// AWS credentials for SigV4. Never logged.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // When temporary credentials stop working; InfiniteFuture() for long-term
  // keys.
  absl::Time expiration = absl::InfiniteFuture();
};

class AwsCredentialsProvider {
 public:
  virtual ~AwsCredentialsProvider() = default;

  // The current credentials. `done` runs exactly once, on any thread (inline
  // when they are at hand). A call waiting for a refresh is answered
  // DEADLINE_EXCEEDED at `deadline` and CANCELLED when `cancellation` (may be
  // null) fires. Every error is marked as never sent upstream and carries
  // ErrorInfo: GATEWAY_CREDENTIALS_MISSING (FAILED_PRECONDITION) naming what
  // is missing or misconfigured, or the mapped answer of the credential
  // source (STS, the container endpoint, IMDS). No error carries a secret.
  virtual void Get(absl::Time deadline, std::shared_ptr<adapters::async::Cancellation> cancellation,
                   adapters::transport::Done<AwsCredentials> done) = 0;

  // The upstream said the credentials with `access_key_id` are expired or
  // unknown: the next Get fetches new ones. Keys read from the environment
  // or a file are read anew on every Get anyway.
  virtual void Invalidate(std::string const& access_key_id) { (void)access_key_id; }

  // What a dry run reports without calling AWS: the configuration's error,
  // or the latest fetch's error unless it was transient; otherwise OK.
  virtual absl::Status Ready() = 0;
};

// An AWS timestamp as credential sources send expirations: RFC 3339
// ("2024-05-01T12:00:00Z", fractional seconds and numeric offsets allowed).
absl::StatusOr<absl::Time> ParseAwsTimestamp(absl::string_view text);

// The status of a credentials problem the gateway found itself (nothing was
// sent upstream): FAILED_PRECONDITION, GATEWAY_CREDENTIALS_MISSING.
absl::Status AwsCredentialsMissing(absl::string_view message);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_H_
