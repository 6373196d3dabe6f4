#include "adapters/auth/aws_credential_chain.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "adapters/auth/aws_profile_files.h"
#include "adapters/auth/watched_file.h"

namespace linkgateway::adapters::auth {
namespace {

// ---------------------------------------------------------------------------
// Where a role assumption gets its source credentials: keys at hand, a fetch
// (IMDS, the container endpoint, another role), or a whole provider.
struct Source {
  std::optional<AwsCredentials> ready;
  std::shared_ptr<AwsCredentialFetch> fetch;
  std::shared_ptr<AwsCredentialsProvider> provider;

  std::string Key() const {
    if (ready) return absl::StrCat("static keys ", ready->access_key_id);
    if (fetch) return fetch->Key();
    return "the gateway's credentials";
  }

  void Get(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) const {
    if (ready) return std::move(done)(*ready);
    if (fetch) return fetch->Fetch(deadline, std::move(done));
    provider->Get(deadline, nullptr, std::move(done));
  }
};

// A session name for configurations that name none: "<prefix>-<unix time>",
// fixed when the planner is made, so every refresh of one gateway run shows
// under one name in CloudTrail (as botocore's do within a session).
std::string GeneratedSessionName(std::string const& prefix) {
  return absl::StrCat(prefix, "-", absl::ToUnixSeconds(absl::Now()));
}

std::string SessionName(std::string const& configured, std::string const& generated) {
  return configured.empty() ? generated : configured;
}

std::string RoleKey(AssumeRoleParams const& params) {
  std::string key = absl::StrCat(
      params.role_arn,
      " session=", params.role_session_name.empty() ? "(generated)" : params.role_session_name);
  if (!params.external_id.empty()) absl::StrAppend(&key, " external-id=", params.external_id);
  if (params.duration_seconds) absl::StrAppend(&key, " duration=", *params.duration_seconds);
  return key;
}

class AssumeRoleFetch final : public AwsCredentialFetch {
 public:
  AssumeRoleFetch(std::shared_ptr<StsClient> sts, AssumeRoleParams params,
                  std::string generated_session, Source source)
      : sts_(std::move(sts)),
        params_(std::move(params)),
        generated_session_(std::move(generated_session)),
        source_(std::move(source)) {}

  std::string Key() const override {
    return absl::StrCat("assume-role ", RoleKey(params_), " with (", source_.Key(), ")");
  }

  void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) override {
    AssumeRoleParams params = params_;
    params.role_session_name = SessionName(params_.role_session_name, generated_session_);
    source_.Get(deadline, [sts = sts_, params = std::move(params), deadline,
                           done = std::move(done)](absl::StatusOr<AwsCredentials> source) mutable {
      if (!source.ok()) return std::move(done)(source.status());
      sts->AssumeRole(params, *source, deadline, std::move(done));
    });
  }

 private:
  std::shared_ptr<StsClient> const sts_;
  AssumeRoleParams const params_;
  std::string const generated_session_;
  Source const source_;
};

class WebIdentityFetch final : public AwsCredentialFetch {
 public:
  WebIdentityFetch(std::shared_ptr<StsClient> sts, std::shared_ptr<WatchedFile> token_file,
                   AssumeRoleParams params, std::string generated_session)
      : sts_(std::move(sts)),
        token_file_(std::move(token_file)),
        params_(std::move(params)),
        generated_session_(std::move(generated_session)) {}

  std::string Key() const override {
    return absl::StrCat("web-identity ", RoleKey(params_), " token-file=", token_file_->path());
  }

  void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) override {
    // Read at every fetch (again only when it changed): the token is
    // short-lived and rotated on disk.
    auto token = token_file_->Read();
    if (!token.ok()) {
      return std::move(done)(AwsCredentialsMissing(
          absl::StrCat("the web identity token file: ", token.status().message())));
    }
    if (token->text.empty()) {
      return std::move(done)(AwsCredentialsMissing(
          absl::StrCat("the web identity token file ", token_file_->path(), " is empty")));
    }
    AssumeRoleParams params = params_;
    params.role_session_name = SessionName(params_.role_session_name, generated_session_);
    sts_->AssumeRoleWithWebIdentity(params, token->text, deadline, std::move(done));
  }

 private:
  std::shared_ptr<StsClient> const sts_;
  std::shared_ptr<WatchedFile> const token_file_;
  AssumeRoleParams const params_;
  std::string const generated_session_;
};

class ContainerFetch final : public AwsCredentialFetch {
 public:
  ContainerFetch(ContainerCredentialsOptions options, adapters::transport::HttpTransport& transport,
                 adapters::async::Scheduler& clock)
      : options_(std::move(options)), transport_(transport), clock_(clock) {}

  std::string Key() const override { return absl::StrCat("container ", options_.url); }

  void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) override {
    FetchContainerCredentials(options_, transport_, clock_, deadline, std::move(done));
  }

 private:
  ContainerCredentialsOptions const options_;
  adapters::transport::HttpTransport& transport_;
  adapters::async::Scheduler& clock_;
};

class ImdsFetch final : public AwsCredentialFetch {
 public:
  // `not_found`: when IMDS is the chain's last resort, what the links
  // before it said; a failure then means no credentials anywhere.
  ImdsFetch(InstanceMetadataOptions options, adapters::transport::HttpTransport& transport,
            adapters::async::Scheduler& clock, std::string not_found)
      : options_(std::move(options)),
        transport_(transport),
        clock_(clock),
        not_found_(std::move(not_found)) {}

  std::string Key() const override { return absl::StrCat("instance-metadata ", options_.endpoint); }

  void Fetch(absl::Time deadline, adapters::transport::Done<AwsCredentials> done) override {
    FetchInstanceMetadataCredentials(
        options_, transport_, clock_, deadline,
        [not_found = not_found_,
         done = std::move(done)](absl::StatusOr<AwsCredentials> result) mutable {
          // Outside EC2 instance metadata does not answer, or answers
          // without a role: as the last resort, that means no credentials
          // anywhere. Its other failures (5xx, a malformed answer) pass on.
          if (!result.ok() && !not_found.empty() &&
              result.status().code() == absl::StatusCode::kFailedPrecondition) {
            return std::move(done)(AwsCredentialsMissing(
                absl::StrCat("no AWS credentials found: ", not_found,
                             "; instance metadata: ", result.status().message())));
          }
          std::move(done)(std::move(result));
        });
  }

 private:
  InstanceMetadataOptions const options_;
  adapters::transport::HttpTransport& transport_;
  adapters::async::Scheduler& clock_;
  std::string const not_found_;
};

// ---------------------------------------------------------------------------
// Reading the environment and the profile files.

bool Present(GetEnv const& env, char const* name) { return env(name).has_value(); }

// A variable's value; "" when unset.
std::string Value(GetEnv const& env, char const* name) { return env(name).value_or(""); }

// Python's os.path.expandvars then os.path.expanduser, as botocore applies
// them to file paths.
std::string ExpandPath(std::string const& path, GetEnv const& env) {
  std::string out;
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] == '$' && i + 1 < path.size()) {
      bool braced = path[i + 1] == '{';
      std::size_t start = i + (braced ? 2 : 1);
      std::size_t end = start;
      while (end < path.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(path[end])) || path[end] == '_')) {
        ++end;
      }
      bool closed = !braced || (end < path.size() && path[end] == '}');
      auto value = end > start && closed ? env(path.substr(start, end - start)) : std::nullopt;
      if (value) {
        out += *value;
        i = end + (braced ? 1 : 0);
        continue;
      }
    }
    out += path[i++];
  }
  if (out == "~" || absl::StartsWith(out, "~/")) {
    std::string home = Value(env, "HOME");
    if (!home.empty()) out = home + out.substr(1);
  }
  return out;
}

bool HasStaticKeys(AwsProfile const& profile) {
  return profile.count("aws_access_key_id") != 0 || profile.count("aws_secret_access_key") != 0;
}

bool HasRoleToAssume(AwsProfile const& profile) {
  return profile.count("role_arn") != 0 && profile.count("web_identity_token_file") == 0;
}

std::optional<int> IntSetting(std::string const* value) {
  int n = 0;
  if (value != nullptr && absl::SimpleAtoi(*value, &n)) return n;
  return std::nullopt;
}

using MaybePlan = absl::StatusOr<std::optional<AwsCredentialPlan>>;

AwsCredentialPlan Ready(AwsCredentials credentials) { return {std::move(credentials), nullptr}; }
AwsCredentialPlan Fetching(std::shared_ptr<AwsCredentialFetch> fetch) {
  return {std::nullopt, std::move(fetch)};
}

class ChainPlanner final : public AwsCredentialPlanner {
 public:
  ChainPlanner(AwsChainOptions options, std::shared_ptr<StsClient> sts,
               adapters::transport::HttpTransport& transport, adapters::async::Scheduler& clock)
      : options_(std::move(options)),
        sts_(std::move(sts)),
        transport_(transport),
        clock_(clock),
        generated_session_(GeneratedSessionName(options_.session_name_prefix)) {
    if (!options_.getenv) options_.getenv = ProcessEnvironment();
  }

  absl::StatusOr<AwsCredentialPlan> Plan() override;

 private:
  // One Plan's view of the configuration.
  struct View {
    std::string profile;
    bool environment_off = false;
    std::string config_path;
    std::string credentials_path;
    AwsProfiles config;       // the config file's profiles
    AwsProfiles credentials;  // the credentials file's
    AwsProfiles merged;       // the config file's, credentials file's settings winning
    std::vector<std::string> not_found;

    AwsProfile const* Profile(std::string const& name) const {
      auto it = merged.find(name);
      return it == merged.end() ? nullptr : &it->second;
    }
  };

  absl::StatusOr<AwsProfiles> ReadProfiles(std::string const& path, bool config_file);
  std::shared_ptr<WatchedFile> File(std::string const& path);

  MaybePlan AssumeRole(View& view, std::string const& profile, std::vector<std::string> visited);
  absl::StatusOr<Source> CredentialSource(View& view, std::string const& profile,
                                          std::string const& source);
  // The profile links of `profile` (web identity, then static keys in the
  // credentials file, then in the config file); environment variables only
  // when `use_environment`.
  MaybePlan ProfileLinks(View& view, std::string const& profile, bool use_environment);
  MaybePlan WebIdentity(View& view, std::string const& profile, bool use_environment);
  MaybePlan Container(View& view);
  MaybePlan InstanceMetadata(View& view, bool last_resort);

  GetEnv const& env() const { return options_.getenv; }

  AwsChainOptions options_;
  std::shared_ptr<StsClient> const sts_;
  adapters::transport::HttpTransport& transport_;
  adapters::async::Scheduler& clock_;
  std::string const generated_session_;

  struct Parsed {
    std::uint64_t generation = 0;
    absl::StatusOr<AwsProfiles> sections;
  };
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<WatchedFile>> files_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Parsed> parsed_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<WatchedFile> ChainPlanner::File(std::string const& path) {
  absl::MutexLock lock(&mu_);
  // Paths come from the configuration and the profile files: a handful.
  if (files_.size() > 64) files_.clear();
  auto& file = files_[path];
  if (file == nullptr) file = std::make_shared<WatchedFile>(path);
  return file;
}

absl::StatusOr<AwsProfiles> ChainPlanner::ReadProfiles(std::string const& path, bool config_file) {
  auto contents = File(path)->Read();
  if (!contents.ok()) {
    if (contents.status().code() == absl::StatusCode::kNotFound) return AwsProfiles{};
    return AwsCredentialsMissing(absl::StrCat("the AWS ", config_file ? "config" : "credentials",
                                              " file: ", contents.status().message()));
  }
  absl::StatusOr<AwsProfiles> sections;
  {
    absl::MutexLock lock(&mu_);
    Parsed& parsed = parsed_[path];
    if (parsed.generation != contents->generation) {
      parsed.generation = contents->generation;
      parsed.sections = ParseIniSections(contents->text);
    }
    sections = parsed.sections;
  }
  if (!sections.ok()) {
    return AwsCredentialsMissing(absl::StrCat("the AWS ", config_file ? "config" : "credentials",
                                              " file ", path, ": ", sections.status().message()));
  }
  return config_file ? ConfigFileProfiles(*sections) : *std::move(sections);
}

absl::StatusOr<AwsCredentialPlan> ChainPlanner::Plan() {
  View view;
  view.environment_off = !options_.profile.empty();
  view.profile = options_.profile;
  for (char const* name : {"AWS_DEFAULT_PROFILE", "AWS_PROFILE"}) {
    if (view.profile.empty()) view.profile = Value(env(), name);
  }
  if (view.profile.empty()) view.profile = "default";
  std::string config_path = options_.config_file;
  if (config_path.empty()) config_path = env()("AWS_CONFIG_FILE").value_or("~/.aws/config");
  std::string credentials_path = options_.credentials_file;
  if (credentials_path.empty()) {
    credentials_path = env()("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials");
  }
  view.config_path = ExpandPath(config_path, env());
  view.credentials_path = ExpandPath(credentials_path, env());
  auto config = ReadProfiles(view.config_path, true);
  if (!config.ok()) return config.status();
  auto credentials = ReadProfiles(view.credentials_path, false);
  if (!credentials.ok()) return credentials.status();
  view.config = *std::move(config);
  view.credentials = *std::move(credentials);
  view.merged = view.config;
  for (auto const& [name, settings] : view.credentials) {
    for (auto const& [key, value] : settings) view.merged[name][key] = value;
  }
  if (view.profile != "default" && view.Profile(view.profile) == nullptr) {
    return AwsCredentialsMissing(absl::StrCat("the AWS profile \"", view.profile,
                                              "\" is in neither ", view.config_path, " nor ",
                                              view.credentials_path));
  }

  // 1. The environment's keys.
  if (view.environment_off) {
    view.not_found.push_back("environment: not used with an explicitly configured profile");
  } else {
    auto keys = EnvironmentKeys(env(), clock_.Now());
    if (!keys.ok()) return keys.status();
    if (*keys) return Ready(**keys);
    view.not_found.push_back("environment: AWS_ACCESS_KEY_ID is not set");
  }
  // 2. The profile: a role to assume, then the profile links.
  AwsProfile const* profile = view.Profile(view.profile);
  if (profile != nullptr && HasRoleToAssume(*profile)) {
    auto plan = AssumeRole(view, view.profile, {view.profile});
    if (!plan.ok()) return plan.status();
    return **plan;
  }
  auto linked = ProfileLinks(view, view.profile, !view.environment_off);
  if (!linked.ok()) return linked.status();
  if (*linked) return **linked;
  view.not_found.push_back(
      profile == nullptr ? absl::StrCat("profile \"", view.profile, "\": not in ", view.config_path,
                                        " or ", view.credentials_path)
                         : absl::StrCat("profile \"", view.profile, "\": no credentials in it"));
  // 3. The container endpoint.
  auto container = Container(view);
  if (!container.ok()) return container.status();
  if (*container) return **container;
  // 4. Instance metadata.
  auto imds = InstanceMetadata(view, true);
  if (!imds.ok()) return imds.status();
  if (*imds) return **imds;
  return AwsCredentialsMissing(
      absl::StrCat("no AWS credentials found: ", absl::StrJoin(view.not_found, "; ")));
}

MaybePlan ChainPlanner::AssumeRole(View& view, std::string const& name,
                                   std::vector<std::string> visited) {
  AwsProfile const& profile = *view.Profile(name);
  std::string const where = absl::StrCat("the AWS profile \"", name, "\"");
  std::string const* source_profile = ProfileValue(profile, "source_profile");
  std::string const* credential_source = ProfileValue(profile, "credential_source");
  if (source_profile != nullptr && credential_source != nullptr) {
    return AwsCredentialsMissing(
        absl::StrCat(where, " has both source_profile and credential_source"));
  }
  if (source_profile == nullptr && credential_source == nullptr) {
    return AwsCredentialsMissing(
        absl::StrCat(where, " has role_arn but neither source_profile nor credential_source"));
  }
  if (ProfileValue(profile, "mfa_serial") != nullptr) {
    return AwsCredentialsMissing(
        absl::StrCat(where, " needs an MFA code (mfa_serial): the gateway cannot prompt for one"));
  }
  Source source;
  if (credential_source != nullptr) {
    auto found = CredentialSource(view, name, *credential_source);
    if (!found.ok()) return found.status();
    source = *std::move(found);
  } else {
    std::string const& from = *source_profile;
    AwsProfile const* from_profile = view.Profile(from);
    if (from_profile == nullptr) {
      return AwsCredentialsMissing(
          absl::StrCat(where, " names source_profile \"", from, "\", which does not exist"));
    }
    bool seen = std::find(visited.begin(), visited.end(), from) != visited.end();
    if (seen && (from != name || !HasStaticKeys(*from_profile))) {
      return AwsCredentialsMissing(absl::StrCat("the AWS profiles ", absl::StrJoin(visited, " -> "),
                                                " -> ", from, " form a loop"));
    }
    visited.push_back(from);
    if (HasStaticKeys(*from_profile) || !HasRoleToAssume(*from_profile)) {
      auto plan = ProfileLinks(view, from, false);
      if (!plan.ok()) return plan.status();
      if (!*plan) {
        return AwsCredentialsMissing(
            absl::StrCat("the source profile \"", from, "\" has no credentials"));
      }
      source.ready = (*plan)->ready;
      source.fetch = (*plan)->fetch;
    } else {
      auto plan = AssumeRole(view, from, visited);
      if (!plan.ok()) return plan.status();
      source.fetch = (**plan).fetch;
    }
  }
  AssumeRoleParams params;
  params.role_arn = *ProfileValue(profile, "role_arn");
  if (auto const* session = ProfileValue(profile, "role_session_name")) {
    params.role_session_name = *session;
  }
  if (auto const* external_id = ProfileValue(profile, "external_id")) {
    params.external_id = *external_id;
  }
  params.duration_seconds = IntSetting(ProfileValue(profile, "duration_seconds"));
  return Fetching(std::make_shared<AssumeRoleFetch>(sts_, std::move(params), generated_session_,
                                                    std::move(source)));
}

absl::StatusOr<Source> ChainPlanner::CredentialSource(View& view, std::string const& profile,
                                                      std::string const& name) {
  std::string const canonical = absl::AsciiStrToLower(name);
  auto none = [&] {
    return AwsCredentialsMissing(absl::StrCat("credential_source ", name, " of the AWS profile \"",
                                              profile, "\" gives no credentials"));
  };
  Source source;
  if (canonical == "environment") {
    auto keys = EnvironmentKeys(env(), clock_.Now());
    if (!keys.ok()) return keys.status();
    if (!*keys) return none();
    source.ready = **keys;
    return source;
  }
  MaybePlan plan = std::optional<AwsCredentialPlan>();
  if (canonical == "ecscontainer") {
    plan = Container(view);
  } else if (canonical == "ec2instancemetadata") {
    plan = InstanceMetadata(view, false);
  } else {
    return AwsCredentialsMissing(
        absl::StrCat("credential_source ", name, " of the AWS profile \"", profile,
                     "\" is not one of Environment, EcsContainer, Ec2InstanceMetadata"));
  }
  if (!plan.ok()) return plan.status();
  if (!*plan) return none();
  source.fetch = (**plan).fetch;
  return source;
}

MaybePlan ChainPlanner::ProfileLinks(View& view, std::string const& name, bool use_environment) {
  auto identity = WebIdentity(view, name, use_environment);
  if (!identity.ok() || *identity) return identity;
  AwsProfile const* merged = view.Profile(name);
  if (merged != nullptr) {
    for (char const* key : {"sso_session", "sso_start_url", "sso_account_id", "sso_role_name"}) {
      if (merged->count(key) != 0) {
        return AwsCredentialsMissing(absl::StrCat("the AWS profile \"", name, "\" uses SSO (", key,
                                                  "), which the gateway does not support"));
      }
    }
  }
  if (auto it = view.credentials.find(name); it != view.credentials.end()) {
    auto keys = StaticKeysOf(it->second,
                             absl::StrCat("the profile \"", name, "\" in ", view.credentials_path));
    if (!keys.ok()) return keys.status();
    if (*keys) return Ready(**keys);
  }
  if (merged != nullptr && merged->count("credential_process") != 0) {
    return AwsCredentialsMissing(absl::StrCat(
        "the AWS profile \"", name, "\" uses credential_process, which the gateway does not run"));
  }
  if (auto it = view.config.find(name); it != view.config.end()) {
    auto keys =
        StaticKeysOf(it->second, absl::StrCat("the profile \"", name, "\" in ", view.config_path));
    if (!keys.ok()) return keys.status();
    if (*keys) return Ready(**keys);
  }
  return std::nullopt;
}

MaybePlan ChainPlanner::WebIdentity(View& view, std::string const& name, bool use_environment) {
  AwsProfile const* profile = view.Profile(name);
  // A variable that is set wins over the profile, even when empty (botocore).
  auto setting = [&](char const* variable, char const* key) -> std::string {
    if (use_environment) {
      if (auto value = env()(variable)) return *value;
    }
    std::string const* value = profile == nullptr ? nullptr : ProfileValue(*profile, key);
    return value == nullptr ? "" : *value;
  };
  std::string token_file = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
  if (token_file.empty()) {
    if (use_environment)
      view.not_found.push_back("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    return std::nullopt;
  }
  AssumeRoleParams params;
  params.role_arn = setting("AWS_ROLE_ARN", "role_arn");
  if (params.role_arn.empty()) {
    return AwsCredentialsMissing(
        absl::StrCat("web identity: the token file ", token_file,
                     " is configured but no role ARN (AWS_ROLE_ARN or the profile's role_arn)"));
  }
  params.role_session_name = setting("AWS_ROLE_SESSION_NAME", "role_session_name");
  return Fetching(std::make_shared<WebIdentityFetch>(sts_, File(token_file), std::move(params),
                                                     generated_session_));
}

MaybePlan ChainPlanner::Container(View& view) {
  bool relative = Present(env(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  bool full = Present(env(), "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (options_.container_disabled || (!relative && !full)) {
    view.not_found.push_back(
        options_.container_disabled
            ? "container: turned off in the gateway's configuration"
            : "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
    return std::nullopt;
  }
  ContainerCredentialsOptions options;
  if (relative) {
    options.url = absl::StrCat(absl::StripSuffix(options_.container_relative_endpoint, "/"),
                               Value(env(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  } else {
    options.url = Value(env(), "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (absl::Status allowed = CheckContainerCredentialsUrl(options.url); !allowed.ok()) {
      return allowed;
    }
  }
  if (auto token_file = env()("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    options.authorization_file = File(*token_file);
  } else {
    options.authorization = Value(env(), "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  options.timeout = options_.container_timeout;
  options.attempts = options_.container_attempts;
  options.retry_delay = options_.container_retry_delay;
  return Fetching(std::make_shared<ContainerFetch>(std::move(options), transport_, clock_));
}

MaybePlan ChainPlanner::InstanceMetadata(View& view, bool last_resort) {
  if (options_.imds_disabled ||
      absl::AsciiStrToLower(Value(env(), "AWS_EC2_METADATA_DISABLED")) == "true") {
    view.not_found.push_back(options_.imds_disabled
                                 ? "instance metadata: turned off in the gateway's configuration"
                                 : "instance metadata: AWS_EC2_METADATA_DISABLED=true");
    return std::nullopt;
  }
  AwsProfile const* profile = view.Profile(view.profile);
  // A setting: the gateway's configuration, the environment, the profile.
  auto setting = [&](char const* variable, char const* key) -> std::string {
    std::string value = Value(env(), variable);
    if (value.empty() && profile != nullptr) {
      if (std::string const* v = ProfileValue(*profile, key)) value = *v;
    }
    return value;
  };
  InstanceMetadataOptions options;
  options.endpoint = options_.imds_endpoint;
  if (options.endpoint.empty()) {
    options.endpoint =
        setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint");
  }
  if (options.endpoint.empty()) {
    std::string mode = absl::AsciiStrToLower(
        setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode"));
    options.endpoint = mode == "ipv6" ? kImdsEndpointIpv6 : kImdsEndpoint;
  }
  if (!absl::StartsWith(options.endpoint, "http://") &&
      !absl::StartsWith(options.endpoint, "https://")) {
    return AwsCredentialsMissing("the instance metadata endpoint is not an http:// URL");
  }
  int seconds = 0;
  if (options_.imds_timeout) {
    options.timeout = *options_.imds_timeout;
  } else if (absl::SimpleAtoi(setting("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout"),
                              &seconds) &&
             seconds > 0) {
    options.timeout = absl::Seconds(seconds);
  }
  int attempts = 0;
  if (options_.imds_attempts) {
    options.attempts = *options_.imds_attempts;
  } else if (absl::SimpleAtoi(
                 setting("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts"),
                 &attempts) &&
             attempts > 0) {
    options.attempts = attempts;
  }
  return Fetching(std::make_shared<ImdsFetch>(
      std::move(options), transport_, clock_,
      last_resort ? absl::StrJoin(view.not_found, "; ") : std::string()));
}

class WebIdentityPlanner final : public AwsCredentialPlanner {
 public:
  WebIdentityPlanner(AwsWebIdentityOptions const& options, std::shared_ptr<StsClient> sts) {
    AssumeRoleParams params;
    params.role_arn = options.role_arn;
    params.role_session_name = options.role_session_name;
    params.duration_seconds = options.duration_seconds;
    fetch_ = std::make_shared<WebIdentityFetch>(
        std::move(sts), std::make_shared<WatchedFile>(options.token_file), std::move(params),
        GeneratedSessionName(options.session_name_prefix));
  }
  absl::StatusOr<AwsCredentialPlan> Plan() override { return Fetching(fetch_); }

 private:
  std::shared_ptr<AwsCredentialFetch> fetch_;
};

class AssumeRolePlanner final : public AwsCredentialPlanner {
 public:
  AssumeRolePlanner(AssumeRoleParams params, std::string prefix,
                    std::shared_ptr<AwsCredentialsProvider> source,
                    std::shared_ptr<StsClient> sts) {
    Source from;
    from.provider = std::move(source);
    fetch_ = std::make_shared<AssumeRoleFetch>(std::move(sts), std::move(params),
                                               GeneratedSessionName(prefix), std::move(from));
  }
  absl::StatusOr<AwsCredentialPlan> Plan() override { return Fetching(fetch_); }

 private:
  std::shared_ptr<AwsCredentialFetch> fetch_;
};

}  // namespace

GetEnv ProcessEnvironment() {
  return [](std::string const& name) -> std::optional<std::string> {
    char const* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::optional<AwsCredentials>> EnvironmentKeys(GetEnv const& env, absl::Time now) {
  std::string id = Value(env, "AWS_ACCESS_KEY_ID");
  if (id.empty()) return std::nullopt;
  std::string secret = Value(env, "AWS_SECRET_ACCESS_KEY");
  if (secret.empty()) {
    return AwsCredentialsMissing("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  AwsCredentials credentials{std::move(id), std::move(secret), "", absl::InfiniteFuture()};
  for (char const* name : {"AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"}) {
    std::string token = Value(env, name);
    if (!token.empty()) {
      credentials.session_token = std::move(token);
      break;
    }
  }
  std::string expiration = Value(env, "AWS_CREDENTIAL_EXPIRATION");
  if (!expiration.empty()) {
    auto at = ParseAwsTimestamp(expiration);
    if (!at.ok()) return AwsCredentialsMissing("AWS_CREDENTIAL_EXPIRATION is not a timestamp");
    if (*at <= now) {
      return AwsCredentialsMissing(
          absl::StrCat("the environment's AWS credentials expired at ", expiration));
    }
    credentials.expiration = *at;
  }
  return credentials;
}

std::unique_ptr<AwsCredentialPlanner> MakeAwsChainPlanner(
    AwsChainOptions options, std::shared_ptr<StsClient> sts,
    adapters::transport::HttpTransport& transport, adapters::async::Scheduler& clock) {
  return std::make_unique<ChainPlanner>(std::move(options), std::move(sts), transport, clock);
}

std::unique_ptr<AwsCredentialPlanner> MakeWebIdentityPlanner(AwsWebIdentityOptions options,
                                                             std::shared_ptr<StsClient> sts) {
  return std::make_unique<WebIdentityPlanner>(options, std::move(sts));
}

std::unique_ptr<AwsCredentialPlanner> MakeAssumeRolePlanner(
    AssumeRoleParams params, std::string session_name_prefix,
    std::shared_ptr<AwsCredentialsProvider> source, std::shared_ptr<StsClient> sts) {
  return std::make_unique<AssumeRolePlanner>(std::move(params), std::move(session_name_prefix),
                                             std::move(source), std::move(sts));
}

}  // namespace linkgateway::adapters::auth
