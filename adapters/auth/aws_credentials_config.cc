#include "adapters/auth/aws_credentials_config.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/auth/aws_credentials_cache.h"
#include "adapters/auth/aws_static_credentials.h"
#include "adapters/auth/sts_client.h"
#include "config/config.h"

namespace linkgateway::adapters::auth {
namespace {

using AwsCredentialsConfig = config::v1::AwsCredentials;

// STS's documented limits (botocore's sts model).
constexpr absl::Duration kMinRoleDuration = absl::Minutes(15);
constexpr absl::Duration kMaxRoleDuration = absl::Hours(12);

std::optional<int> DurationSeconds(google::protobuf::Duration const& d) {
  if (d.seconds() == 0 && d.nanos() == 0) return std::nullopt;
  return static_cast<int>(d.seconds());
}

// `value` is `min` to `max` letters, digits and `punctuation` (STS's
// patterns for session names and external IDs).
bool Matches(std::string const& value, absl::string_view punctuation, std::size_t min,
             std::size_t max) {
  if (value.size() < min || value.size() > max) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        punctuation.find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

void CheckRole(absl::string_view key, std::string const& role_arn, std::string const& session_name,
               google::protobuf::Duration const& duration, config::Checker& check) {
  if (!absl::StartsWith(role_arn, "arn:")) {
    check.Fail(absl::StrCat(key, ".role_arn"), "is required: a role ARN (arn:aws:iam::...)");
  }
  if (!session_name.empty() && !Matches(session_name, "_+=,.@-", 2, 64)) {
    check.Fail(absl::StrCat(key, ".role_session_name"),
               "must be 2 to 64 characters of letters, digits and _+=,.@-");
  }
  absl::Duration d = config::ToDuration(duration);
  if (d != absl::ZeroDuration() && (d < kMinRoleDuration || d > kMaxRoleDuration ||
                                    d % absl::Seconds(1) != absl::ZeroDuration())) {
    check.Fail(absl::StrCat(key, ".duration"), "must be whole seconds from 15m to 12h");
  }
}

// A credential endpoint's URL: plain http is how these services are served.
void CheckEndpoint(absl::string_view key, std::string const& url, config::Checker& check) {
  if (!url.empty() && !absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    check.Fail(key, "must be an http:// or https:// URL");
  }
}

std::shared_ptr<AwsCredentialsProvider> Cached(std::unique_ptr<AwsCredentialPlanner> planner,
                                               AwsCredentialsConfig const& config,
                                               AwsCredentialsContext const& context) {
  AwsCredentialsCacheOptions options;
  options.refresh_ahead = config::ToDuration(config.refresh_ahead());
  options.refresh_jitter = config::ToDuration(config.refresh_jitter());
  options.on_fetch = context.on_fetch;
  auto cache = AwsCredentialsCache::Create(std::move(planner), context.clock, std::move(options));
  cache->Prefetch();
  return cache;
}

}  // namespace

void ApplyAwsCredentialsDefaults(AwsCredentialsConfig& config) {
  if (config.source_case() == AwsCredentialsConfig::SOURCE_NOT_SET)
    config.set_from_environment(true);
  if (config.has_file()) config::SetDefault(config.mutable_file()->mutable_profile(), "default");
  config::SetDefaultDuration(config.mutable_refresh_ahead(), 5 * 60);
  config::SetDefaultDuration(config.mutable_refresh_jitter(), 2 * 60);
}

void ValidateAwsCredentials(AwsCredentialsConfig const& config, absl::string_view key,
                            config::Checker& check) {
  if (config.has_file() && config.file().path().empty()) {
    check.Fail(absl::StrCat(key, ".file.path"), "is required");
  }
  if (config.has_web_identity()) {
    auto const& identity = config.web_identity();
    std::string at = absl::StrCat(key, ".web_identity");
    if (identity.token_file().empty()) check.Fail(absl::StrCat(at, ".token_file"), "is required");
    CheckRole(at, identity.role_arn(), identity.role_session_name(), identity.duration(), check);
  }
  if (config.has_chain()) {
    auto const& chain = config.chain();
    std::string at = absl::StrCat(key, ".chain");
    CheckEndpoint(absl::StrCat(at, ".container.relative_uri_endpoint"),
                  chain.container().relative_uri_endpoint(), check);
    CheckEndpoint(absl::StrCat(at, ".instance_metadata.endpoint"),
                  chain.instance_metadata().endpoint(), check);
    check.NotNegative(absl::StrCat(at, ".container.timeout"), chain.container().timeout());
    check.NotNegative(absl::StrCat(at, ".instance_metadata.timeout"),
                      chain.instance_metadata().timeout());
    if (chain.container().attempts() < 0 || chain.instance_metadata().attempts() < 0) {
      check.Fail(absl::StrCat(at, ".*.attempts"), "must not be negative");
    }
  }
  if (config.has_assume_role()) {
    auto const& role = config.assume_role();
    std::string at = absl::StrCat(key, ".assume_role");
    CheckRole(at, role.role_arn(), role.role_session_name(), role.duration(), check);
    if (!role.external_id().empty() && !Matches(role.external_id(), "_+=,.@:/-", 2, 1224)) {
      check.Fail(absl::StrCat(at, ".external_id"),
                 "must be 2 to 1224 characters of letters, digits and _+=,.@:/-");
    }
  }
  if (!config.sts().endpoint().empty()) {
    check.Url(absl::StrCat(key, ".sts.endpoint"), config.sts().endpoint());
  }
  check.NotNegative(absl::StrCat(key, ".refresh_ahead"), config.refresh_ahead());
  check.NotNegative(absl::StrCat(key, ".refresh_jitter"), config.refresh_jitter());
}

std::shared_ptr<AwsCredentialsProvider> MakeAwsCredentials(AwsCredentialsConfig const& config,
                                                           AwsCredentialsContext const& context) {
  StsOptions sts_options;
  sts_options.region = config.sts().region().empty() ? context.region : config.sts().region();
  sts_options.endpoint = config.sts().endpoint().empty() ? StsEndpointFor(sts_options.region)
                                                         : config.sts().endpoint();
  auto sts = std::make_shared<StsClient>(std::move(sts_options), context.transport, context.clock);

  std::shared_ptr<AwsCredentialsProvider> provider;
  switch (config.source_case()) {
    case AwsCredentialsConfig::kFile:
      provider = MakeFileAwsCredentials(config.file().path(), config.file().profile());
      break;
    case AwsCredentialsConfig::kChain: {
      auto const& chain = config.chain();
      AwsChainOptions options;
      options.profile = chain.profile();
      options.config_file = chain.config_file();
      options.credentials_file = chain.credentials_file();
      options.container_disabled = chain.container().disabled();
      if (!chain.container().relative_uri_endpoint().empty()) {
        options.container_relative_endpoint = chain.container().relative_uri_endpoint();
      }
      if (chain.container().has_timeout()) {
        options.container_timeout = config::ToDuration(chain.container().timeout());
      }
      if (chain.container().attempts() > 0)
        options.container_attempts = chain.container().attempts();
      options.imds_disabled = chain.instance_metadata().disabled();
      options.imds_endpoint = chain.instance_metadata().endpoint();
      if (chain.instance_metadata().has_timeout()) {
        options.imds_timeout = config::ToDuration(chain.instance_metadata().timeout());
      }
      if (chain.instance_metadata().attempts() > 0) {
        options.imds_attempts = chain.instance_metadata().attempts();
      }
      options.getenv = context.getenv;
      provider =
          Cached(MakeAwsChainPlanner(std::move(options), sts, context.transport, context.clock),
                 config, context);
      break;
    }
    case AwsCredentialsConfig::kWebIdentity: {
      auto const& identity = config.web_identity();
      AwsWebIdentityOptions options;
      options.token_file = identity.token_file();
      options.role_arn = identity.role_arn();
      options.role_session_name = identity.role_session_name();
      options.duration_seconds = DurationSeconds(identity.duration());
      provider = Cached(MakeWebIdentityPlanner(std::move(options), sts), config, context);
      break;
    }
    default:
      provider = MakeEnvironmentAwsCredentials();
      break;
  }
  if (!config.has_assume_role()) return provider;
  auto const& role = config.assume_role();
  AssumeRoleParams params;
  params.role_arn = role.role_arn();
  params.role_session_name = role.role_session_name();
  params.external_id = role.external_id();
  params.duration_seconds = DurationSeconds(role.duration());
  return Cached(MakeAssumeRolePlanner(std::move(params), "linkgateway", std::move(provider), sts),
                config, context);
}

}  // namespace linkgateway::adapters::auth
