// The default credential chain, table-driven: each row is an environment,
// shared config and credentials files and other files, and what botocore
// resolves for them (the same rows run against botocore itself in
// tests/integration/aws_credential_chain_test.py). The upstreams (STS,
// the container endpoint, IMDS) are the fake transport.
#include "adapters/auth/aws_credential_chain.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/errors/status_details.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using testing::FakeHttpTransport;
using ::testing::HasSubstr;
using testing::ManualScheduler;
using testing::Response;

constexpr char kSts[] = "https://sts.test";
constexpr char kImds[] = "http://imds.test";
constexpr char kContainer[] = "http://container.test";

// A form value, percent-decoded (the rows' values hold no '+').
std::string Form(std::string const& body, std::string const& name) {
  for (absl::string_view pair : absl::StrSplit(body, '&')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first != name) continue;
    std::string out;
    for (std::size_t i = 0; i < kv.second.size(); ++i) {
      if (kv.second[i] == '%' && i + 2 < kv.second.size()) {
        out.push_back(static_cast<char>(std::stoi(kv.second.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(kv.second[i]);
      }
    }
    return out;
  }
  return "";
}

std::string HeaderOf(adapters::transport::HttpRequest const& r, absl::string_view name) {
  for (auto const& [key, value] : r.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

// What the fake upstreams answer, and the calls they saw, one line each.
class Upstreams {
 public:
  explicit Upstreams(adapters::testing::ManualScheduler& clock) : clock_(clock) {}

  absl::StatusOr<adapters::transport::HttpResponse> Answer(
      adapters::transport::HttpRequest const& r) {
    std::string expiration =
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_.Now() + absl::Hours(1), absl::UTCTimeZone());
    if (absl::StartsWith(r.url, kSts)) {
      std::string action = Form(r.body, "Action");
      std::string role = Form(r.body, "RoleArn");
      std::string name = std::string(role.substr(role.rfind('/') + 1));
      std::string line =
          absl::StrCat("sts ", action, " ", role, " session=", Form(r.body, "RoleSessionName"));
      if (action == "AssumeRole") {
        std::string auth = HeaderOf(r, "Authorization");
        auto start = auth.find("Credential=") + 11;
        absl::StrAppend(&line, " by=", auth.substr(start, auth.find('/', start) - start));
        for (char const* extra : {"ExternalId", "DurationSeconds"}) {
          std::string v = Form(r.body, extra);
          if (!v.empty()) absl::StrAppend(&line, " ", extra, "=", v);
        }
      } else {
        absl::StrAppend(&line, " token=", Form(r.body, "WebIdentityToken"));
      }
      calls.push_back(line);
      return Response(200, absl::StrCat("<", action, "Response><", action,
                                        "Result><Credentials><AccessKeyId>ASIA-", name,
                                        "</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                                        "<SessionToken>t</SessionToken><Expiration>",
                                        expiration, "</Expiration></Credentials></", action,
                                        "Result></", action, "Response>"));
    }
    std::string document =
        absl::StrCat(R"({"Code":"Success","AccessKeyId":"ASIA-)",
                     absl::StartsWith(r.url, kImds) ? "imds" : "container",
                     R"(","SecretAccessKey":"s","Token":"t","Expiration":")", expiration, R"("})");
    if (absl::StartsWith(r.url, kImds)) {
      if (imds_down) {
        return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kConnect,
                                                     "imds.test", "connection refused");
      }
      calls.push_back(absl::StrCat("imds ", r.method, " ", r.url.substr(strlen(kImds))));
      if (r.method == "PUT") return Response(200, "imds-token");
      if (absl::EndsWith(r.url, "/")) return Response(200, "instance-role");
      return Response(200, document);
    }
    calls.push_back(absl::StrCat("container ", r.url, " auth=", HeaderOf(r, "Authorization")));
    return Response(200, document);
  }

  std::vector<std::string> calls;
  bool imds_down = false;

 private:
  adapters::testing::ManualScheduler& clock_;
};

struct ChainCase {
  std::string name;
  std::map<std::string, std::string> env;    // "{dir}" becomes the case's directory
  std::string config;                        // the config file; "" absent
  std::string credentials;                   // the credentials file; "" absent
  std::map<std::string, std::string> files;  // more files in the directory
  std::string profile;                       // AwsChainOptions::profile
  std::string want_key;                      // the access key id resolved, or
  std::string want_error;                    // part of the error
  std::vector<std::string> want_calls;       // what the upstreams saw

  friend void PrintTo(ChainCase const& c, std::ostream* out) { *out << c.name; }
};

class ChainTest : public ::testing::TestWithParam<ChainCase> {
 protected:
  absl::StatusOr<AwsCredentials> Resolve(ChainCase const& c) {
    std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", c.name);
    mkdir(dir.c_str(), 0700);
    std::map<std::string, std::string> env = {
        {"HOME", dir},
        {"AWS_CONFIG_FILE", dir + "/config"},
        {"AWS_SHARED_CREDENTIALS_FILE", dir + "/credentials"},
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", kImds},
    };
    for (auto const& [k, v] : c.env) env[k] = absl::StrReplaceAll(v, {{"{dir}", dir}});
    for (auto it = env.begin(); it != env.end();) {
      it = it->second == "(unset)" ? env.erase(it) : std::next(it);
    }
    auto in_dir = [&dir](std::string const& text) {
      return absl::StrReplaceAll(text, {{"{dir}", dir}});
    };
    if (!c.config.empty()) std::ofstream(dir + "/config") << in_dir(c.config);
    if (!c.credentials.empty()) std::ofstream(dir + "/credentials") << in_dir(c.credentials);
    for (auto const& [name, text] : c.files) std::ofstream(dir + "/" + name) << text;

    transport_.SetResponder(
        [this](adapters::transport::HttpRequest const& r) { return upstreams_.Answer(r); });
    AwsChainOptions options;
    options.profile = c.profile;
    options.container_relative_endpoint = kContainer;
    options.getenv = [env](std::string const& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    auto sts = std::make_shared<StsClient>(StsOptions{kSts, "us-east-1"}, transport_, clock_);
    auto cache = AwsCredentialsCache::Create(
        MakeAwsChainPlanner(std::move(options), sts, transport_, clock_), clock_);
    std::optional<absl::StatusOr<AwsCredentials>> result;
    cache->Get(clock_.Now() + absl::Seconds(30), nullptr,
               [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
    for (int i = 0; i < 60 && !result; ++i) clock_.AdvanceBy(absl::Milliseconds(500));
    return result.value_or(absl::UnknownError("never answered"));
  }

  adapters::testing::ManualScheduler clock_;
  adapters::testing::FakeHttpTransport transport_;
  Upstreams upstreams_{clock_};
};

TEST_P(ChainTest, ResolvesAsBotocoreDoes) {
  auto const& c = GetParam();
  auto result = Resolve(c);
  if (!c.want_error.empty()) {
    ASSERT_FALSE(result.ok()) << result->access_key_id;
    EXPECT_THAT(result.status().message(), HasSubstr(c.want_error));
    google::rpc::ErrorInfo info;
    ASSERT_TRUE(adapters::errors::FindDetail(result.status(), info));
    EXPECT_EQ(info.reason(), "GATEWAY_CREDENTIALS_MISSING");
    EXPECT_THAT(result.status().message(), ::testing::Not(HasSubstr("s3cr3t")));
  } else {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->access_key_id, c.want_key);
  }
  std::vector<std::string> calls;
  for (auto const& call : upstreams_.calls) {
    // Generated session names carry the time: compare their shape.
    std::string shaped = call;
    auto at = shaped.find("session=linkgateway-");
    if (at != std::string::npos) {
      auto end = shaped.find(' ', at);
      shaped.replace(at, (end == std::string::npos ? shaped.size() : end) - at,
                     "session=linkgateway-<time>");
    }
    calls.push_back(shaped);
  }
  EXPECT_EQ(calls, c.want_calls);
}

constexpr char kRole[] = "arn:aws:iam::111122223333:role/";

std::string Keys(std::string const& section, std::string const& id) {
  return absl::StrCat("[", section, "]\naws_access_key_id = ", id,
                      "\naws_secret_access_key = s3cr3t-", id, "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Botocore, ChainTest,
    ::testing::Values(
        // 1. The environment.
        ChainCase{"EnvironmentKeys",
                  {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t-env"}},
                  "",
                  Keys("default", "AKIDFILE"),
                  {},
                  "",
                  "AKIDENV",
                  "",
                  {}},
        ChainCase{"EnvironmentKeyWithoutSecret",
                  {{"AWS_ACCESS_KEY_ID", "AKIDENV"}},
                  "",
                  Keys("default", "AKIDFILE"),
                  {},
                  "",
                  "",
                  "AWS_SECRET_ACCESS_KEY",
                  {}},
        ChainCase{"EnvironmentExpired",
                  {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                   {"AWS_SECRET_ACCESS_KEY", "s3cr3t-env"},
                   {"AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z"}},
                  "",
                  "",
                  {},
                  "",
                  "",
                  "expired",
                  {}},
        // 2. Static keys in the files.
        ChainCase{
            "CredentialsFile", {}, "", Keys("default", "AKIDFILE"), {}, "", "AKIDFILE", "", {}},
        ChainCase{
            "ConfigFile", {}, Keys("default", "AKIDCONFIG"), "", {}, "", "AKIDCONFIG", "", {}},
        ChainCase{"CredentialsFileBeforeConfigFile",
                  {},
                  Keys("default", "AKIDCONFIG"),
                  Keys("default", "AKIDFILE"),
                  {},
                  "",
                  "AKIDFILE",
                  "",
                  {}},
        ChainCase{"AwsProfile",
                  {{"AWS_PROFILE", "dev"}},
                  Keys("profile dev", "AKIDDEVCONFIG"),
                  Keys("default", "AKIDFILE") + Keys("dev", "AKIDDEV"),
                  {},
                  "",
                  "AKIDDEV",
                  "",
                  {}},
        ChainCase{"AwsDefaultProfileWins",
                  {{"AWS_PROFILE", "dev"}, {"AWS_DEFAULT_PROFILE", "ops"}},
                  "",
                  Keys("dev", "AKIDDEV") + Keys("ops", "AKIDOPS"),
                  {},
                  "",
                  "AKIDOPS",
                  "",
                  {}},
        ChainCase{"ConfigFileNeedsProfilePrefix",
                  {{"AWS_PROFILE", "dev"}},
                  Keys("dev", "AKIDX"),
                  "",
                  {},
                  "",
                  "",
                  "is in neither",
                  {}},
        // A configured profile turns the environment off.
        ChainCase{"ExplicitProfileSkipsEnvironment",
                  {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t-env"}},
                  "",
                  Keys("dev", "AKIDDEV"),
                  {},
                  "dev",
                  "AKIDDEV",
                  "",
                  {}},
        ChainCase{"MalformedCredentialsFile",
                  {},
                  "",
                  "[default]\naws_access_key_id\n",
                  {},
                  "",
                  "",
                  "line 2",
                  {}},
        // Role assumption from a source profile.
        ChainCase{
            "AssumeRoleFromSourceProfile",
            {{"AWS_PROFILE", "app"}},
            absl::StrCat("[profile app]\nrole_arn = ", kRole,
                         "app\nsource_profile = base\nrole_session_name = gw\n"
                         "external_id = ext-1\nduration_seconds = 900\n"),
            Keys("base", "AKIDBASE"),
            {},
            "",
            "ASIA-app",
            "",
            {absl::StrCat("sts AssumeRole ", kRole,
                          "app session=gw by=AKIDBASE ExternalId=ext-1 DurationSeconds=900")}},
        ChainCase{
            "AssumeRoleChain",
            {{"AWS_PROFILE", "app"}},
            absl::StrCat("[profile app]\nrole_arn = ", kRole,
                         "app\nsource_profile = mid\n[profile mid]\nrole_arn = ", kRole,
                         "mid\nsource_profile = base\n"),
            Keys("base", "AKIDBASE"),
            {},
            "",
            "ASIA-app",
            "",
            {absl::StrCat("sts AssumeRole ", kRole, "mid session=linkgateway-<time> by=AKIDBASE"),
             absl::StrCat("sts AssumeRole ", kRole, "app session=linkgateway-<time> by=ASIA-mid")}},
        ChainCase{"AssumeRoleSourceIsItsOwnKeys",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole, "self\nsource_profile = default\n"),
                  Keys("default", "AKIDSELF"),
                  {},
                  "",
                  "ASIA-self",
                  "",
                  {absl::StrCat("sts AssumeRole ", kRole,
                                "self session=linkgateway-<time> by=AKIDSELF")}},
        ChainCase{"AssumeRoleLoop",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole, "a\nsource_profile = b\n",
                               "[profile b]\nrole_arn = ", kRole, "b\nsource_profile = default\n"),
                  "",
                  {},
                  "",
                  "",
                  "form a loop",
                  {}},
        ChainCase{"AssumeRoleWithBothSources",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole,
                               "a\nsource_profile = b\ncredential_source = Environment\n"),
                  Keys("b", "AKIDB"),
                  {},
                  "",
                  "",
                  "both source_profile and credential_source",
                  {}},
        ChainCase{"AssumeRoleWithoutSource",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole, "a\n"),
                  "",
                  {},
                  "",
                  "",
                  "neither source_profile nor credential_source",
                  {}},
        ChainCase{"AssumeRoleNeedingMfa",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole,
                               "a\nsource_profile = b\nmfa_serial = arn:aws:iam::1:mfa/x\n"),
                  Keys("b", "AKIDB"),
                  {},
                  "",
                  "",
                  "cannot prompt",
                  {}},
        ChainCase{"SourceProfileWithoutCredentials",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole,
                               "a\nsource_profile = b\n[profile b]\nregion = x\n"),
                  "",
                  {},
                  "",
                  "",
                  "has no credentials",
                  {}},
        // The environment link comes first: its keys win over the
        // profile's role...
        ChainCase{
            "EnvironmentBeforeProfileRole",
            {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t-env"}},
            absl::StrCat("[default]\nrole_arn = ", kRole, "a\ncredential_source = Environment\n"),
            "",
            {},
            "",
            "AKIDENV",
            "",
            {}},
        // ... unless the profile is named explicitly: then they are its
        // credential_source.
        ChainCase{
            "CredentialSourceEnvironment",
            {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t-env"}},
            absl::StrCat("[profile app]\nrole_arn = ", kRole,
                         "app\ncredential_source = Environment\n"),
            "",
            {},
            "app",
            "ASIA-app",
            "",
            {absl::StrCat("sts AssumeRole ", kRole, "app session=linkgateway-<time> by=AKIDENV")}},
        ChainCase{
            "CredentialSourceInstanceMetadata",
            {},
            absl::StrCat("[default]\nrole_arn = ", kRole,
                         "app\ncredential_source = Ec2InstanceMetadata\n"),
            "",
            {},
            "",
            "ASIA-app",
            "",
            {"imds PUT /latest/api/token", "imds GET /latest/meta-data/iam/security-credentials/",
             "imds GET /latest/meta-data/iam/security-credentials/instance-role",
             absl::StrCat("sts AssumeRole ", kRole,
                          "app session=linkgateway-<time> by=ASIA-imds")}},
        ChainCase{"CredentialSourceContainer",
                  {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task"}},
                  absl::StrCat("[default]\nrole_arn = ", kRole,
                               "app\ncredential_source = ecscontainer\n"),
                  "",
                  {},
                  "",
                  "ASIA-app",
                  "",
                  {"container http://container.test/v2/credentials/task auth=",
                   absl::StrCat("sts AssumeRole ", kRole,
                                "app session=linkgateway-<time> by=ASIA-container")}},
        ChainCase{"CredentialSourceUnknown",
                  {},
                  absl::StrCat("[default]\nrole_arn = ", kRole, "app\ncredential_source = Vault\n"),
                  "",
                  {},
                  "",
                  "",
                  "not one of Environment",
                  {}},
        // Web identity: the environment's variables override the profile's.
        ChainCase{"WebIdentityFromEnvironment",
                  {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token"},
                   {"AWS_ROLE_ARN", absl::StrCat(kRole, "irsa")},
                   {"AWS_ROLE_SESSION_NAME", "pod-1"}},
                  "",
                  "",
                  {{"token", "eyJ.oidc.token"}},
                  "",
                  "ASIA-irsa",
                  "",
                  {absl::StrCat("sts AssumeRoleWithWebIdentity ", kRole,
                                "irsa session=pod-1 token=eyJ.oidc.token")}},
        ChainCase{"WebIdentityFromProfile",
                  {},
                  absl::StrCat("[default]\nweb_identity_token_file = {dir}/token\nrole_arn = ",
                               kRole, "fromprofile\n"),
                  "",
                  {{"token", "tok"}},
                  "",
                  "ASIA-fromprofile",
                  "",
                  {absl::StrCat("sts AssumeRoleWithWebIdentity ", kRole,
                                "fromprofile session=linkgateway-<time> token=tok")}},
        ChainCase{"WebIdentityEnvironmentRoleWins",
                  {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token"},
                   {"AWS_ROLE_ARN", absl::StrCat(kRole, "fromenv")}},
                  absl::StrCat("[default]\nweb_identity_token_file = /nowhere\nrole_arn = ", kRole,
                               "fromprofile\n"),
                  "",
                  {{"token", "tok"}},
                  "",
                  "ASIA-fromenv",
                  "",
                  {absl::StrCat("sts AssumeRoleWithWebIdentity ", kRole,
                                "fromenv session=linkgateway-<time> token=tok")}},
        // botocore's order: web identity before the credentials file's keys.
        ChainCase{"WebIdentityBeforeStaticProfileKeys",
                  {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token"},
                   {"AWS_ROLE_ARN", absl::StrCat(kRole, "irsa")}},
                  "",
                  Keys("default", "AKIDFILE"),
                  {{"token", "tok"}},
                  "",
                  "ASIA-irsa",
                  "",
                  {absl::StrCat("sts AssumeRoleWithWebIdentity ", kRole,
                                "irsa session=linkgateway-<time> token=tok")}},
        ChainCase{
            "ProfileRoleBeforeWebIdentity",
            {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token"},
             {"AWS_ROLE_ARN", absl::StrCat(kRole, "irsa")}},
            absl::StrCat("[default]\nrole_arn = ", kRole, "app\nsource_profile = base\n"),
            Keys("base", "AKIDBASE"),
            {{"token", "tok"}},
            "",
            "ASIA-app",
            "",
            {absl::StrCat("sts AssumeRole ", kRole, "app session=linkgateway-<time> by=AKIDBASE")}},
        ChainCase{"WebIdentityWithoutRole",
                  {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token"}},
                  "",
                  "",
                  {{"token", "tok"}},
                  "",
                  "",
                  "no role ARN",
                  {}},
        ChainCase{"WebIdentityTokenFileMissing",
                  {{"AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/absent"},
                   {"AWS_ROLE_ARN", absl::StrCat(kRole, "irsa")}},
                  "",
                  "",
                  {},
                  "",
                  "",
                  "does not exist",
                  {}},
        // The container endpoint, then instance metadata.
        ChainCase{"ContainerRelativeUri",
                  {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}},
                  "",
                  "",
                  {},
                  "",
                  "ASIA-container",
                  "",
                  {"container http://container.test/v2/credentials/abc auth="}},
        ChainCase{"ContainerFullUriWithTokenFile",
                  {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "{dir}/pod-token"}},
                  "",
                  "",
                  {{"pod-token", "pod-identity-token"}},
                  "",
                  "ASIA-container",
                  "",
                  {"container http://127.0.0.1:9/creds auth=pod-identity-token"}},
        ChainCase{"ContainerFullUriNotAllowed",
                  {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}},
                  "",
                  "",
                  {},
                  "",
                  "",
                  "not allowed over http",
                  {}},
        ChainCase{
            "InstanceMetadataLastResort",
            {},
            "",
            "",
            {},
            "",
            "ASIA-imds",
            "",
            {"imds PUT /latest/api/token", "imds GET /latest/meta-data/iam/security-credentials/",
             "imds GET /latest/meta-data/iam/security-credentials/instance-role"}},
        ChainCase{"NothingAnywhere",
                  {{"AWS_EC2_METADATA_DISABLED", "TRUE"}},
                  "",
                  "",
                  {},
                  "",
                  "",
                  "no AWS credentials found: environment: AWS_ACCESS_KEY_ID is not set; web "
                  "identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                  {}},
        // What a gateway must not do is an error, never a skip.
        ChainCase{
            "SsoRefused", {}, "[default]\nsso_session = corp\n", "", {}, "", "", "uses SSO", {}},
        ChainCase{"CredentialProcessRefused",
                  {},
                  "[default]\ncredential_process = /bin/creds\n",
                  "",
                  {},
                  "",
                  "",
                  "credential_process",
                  {}},
        ChainCase{"StaticKeysBeforeCredentialProcess",
                  {},
                  "[default]\ncredential_process = /bin/creds\n",
                  Keys("default", "AKIDFILE"),
                  {},
                  "",
                  "AKIDFILE",
                  "",
                  {}}),
    [](auto const& info) { return info.param.name; });

TEST(ChainNothingTest, InstanceMetadataUnreachableMeansNoCredentials) {
  adapters::testing::ManualScheduler clock;
  adapters::testing::FakeHttpTransport transport;
  transport.SetResponder([](adapters::transport::HttpRequest const&)
                             -> absl::StatusOr<adapters::transport::HttpResponse> {
    return adapters::errors::MapTransportFailure(adapters::errors::TransportFailure::kDeadline,
                                                 "169.254.169.254", "timed out");
  });
  AwsChainOptions options;
  options.getenv = [](std::string const& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/nonexistent-home");
    return std::nullopt;
  };
  auto sts = std::make_shared<StsClient>(StsOptions{kSts, "us-east-1"}, transport, clock);
  auto cache = AwsCredentialsCache::Create(
      MakeAwsChainPlanner(std::move(options), sts, transport, clock), clock);
  std::optional<absl::StatusOr<AwsCredentials>> result;
  cache->Get(clock.Now() + absl::Seconds(30), nullptr,
             [&](absl::StatusOr<AwsCredentials> r) { result = std::move(r); });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result->status().message(), HasSubstr("no AWS credentials found"));
  EXPECT_THAT(result->status().message(), HasSubstr("hop limit"));
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url, "http://169.254.169.254/latest/api/token");
}

}  // namespace
}  // namespace linkgateway::adapters::auth
