// AWS Security Token Service over its query protocol: a form-encoded POST
// (Action=..., Version=2011-06-15) answered in XML. AssumeRole is signed
// with SigV4 by the source credentials; AssumeRoleWithWebIdentity is not
// signed (the web identity token is the proof). STS errors become statuses
// in one place (sts_errors.cc).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_STS_CLIENT_H_
#define LINKGATEWAY_ADAPTERS_AUTH_STS_CLIENT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

struct StsOptions {
  // https://sts.{region}.amazonaws.com unless overridden (tests).
  std::string endpoint;
  // The signing region of AssumeRole.
  std::string region;
  // Bound for one STS request.
  absl::Duration request_timeout = absl::Seconds(10);
};

// The regional STS endpoint.
std::string StsEndpointFor(absl::string_view region);

// What a role assumption asks for.
struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;
  std::string external_id;              // AssumeRole only; empty: not sent
  std::optional<int> duration_seconds;  // not sent: the role's default (1 h)
};

class StsClient {
 public:
  // `transport` and `clock` must outlive the client.
  StsClient(StsOptions options, adapters::transport::HttpTransport& transport,
            adapters::async::Scheduler& clock);

  // AssumeRole signed with `source`. `done` runs exactly once, on any thread.
  void AssumeRole(AssumeRoleParams const& params, AwsCredentials const& source, absl::Time deadline,
                  adapters::transport::Done<AwsCredentials> done);

  // AssumeRoleWithWebIdentity with `web_identity_token` (an OIDC token).
  void AssumeRoleWithWebIdentity(AssumeRoleParams const& params,
                                 std::string const& web_identity_token, absl::Time deadline,
                                 adapters::transport::Done<AwsCredentials> done);

  StsOptions const& options() const { return options_; }

 private:
  void Send(std::string action, std::vector<std::pair<std::string, std::string>> form,
            AwsCredentials const* signer, absl::Time deadline,
            adapters::transport::Done<AwsCredentials> done);

  StsOptions const options_;
  adapters::transport::HttpTransport& transport_;
  adapters::async::Scheduler& clock_;
};

// STS's error vocabulary (sts_errors.cc).
adapters::errors::ProviderErrors const& StsErrors();

// The credentials in a successful `action` answer (exposed for tests and the
// fuzzer); a mapped UPSTREAM_MALFORMED_RESPONSE when they are not all there.
absl::StatusOr<AwsCredentials> ParseStsCredentials(absl::string_view action, absl::string_view xml);

// The mapped error of a non-200 STS answer.
absl::Status StsError(adapters::transport::HttpResponse const& response, absl::Time now);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_STS_CLIENT_H_
