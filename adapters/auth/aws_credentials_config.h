// The configuration's AwsCredentials section (one per AWS account): its
// defaults, its checks, and the provider it describes. Every call builds an
// independent provider (its own STS client, cache and refresh), so accounts
// never share credentials.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CONFIG_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CONFIG_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "adapters/async/scheduler.h"
#include "adapters/auth/aws_credential_chain.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/transport/http.h"
#include "config/checker.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::adapters::auth {

// No source: the environment's keys (as before the chain existed); a file
// without a profile: "default"; refresh 5m ahead, 2m jitter.
void ApplyAwsCredentialsDefaults(config::v1::AwsCredentials& config);

// Problems name their keys under `key` (e.g. "sms_voice.credentials").
void ValidateAwsCredentials(config::v1::AwsCredentials const& config, absl::string_view key,
                            config::Checker& check);

struct AwsCredentialsContext {
  // STS (https) and the credential endpoints go through it.
  adapters::transport::HttpTransport& transport;
  adapters::async::Scheduler& clock;
  // The account's region: STS's default endpoint and signing region.
  std::string region;
  // The environment to read; empty: the process's.
  GetEnv getenv;
  // Told the result of every fetch (metrics); may be empty.
  std::function<void(bool ok)> on_fetch;
};

// The provider `config` (defaults applied, checked) describes. Network
// sources start fetching at once, so the first call does not wait.
std::shared_ptr<AwsCredentialsProvider> MakeAwsCredentials(config::v1::AwsCredentials const& config,
                                                           AwsCredentialsContext const& context);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_CREDENTIALS_CONFIG_H_
