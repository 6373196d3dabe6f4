#include "config/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "config/secrets.h"

namespace linkgateway::config {
namespace {

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(absl::string_view source) : source_(source) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                std::string const& message) override {
    // The parser counts from zero; editors count from one.
    errors_.push_back(absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message));
  }

  std::vector<std::string> const& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

void SetDefaultDuration(google::protobuf::Duration* d, int64_t seconds) {
  if (d->seconds() == 0 && d->nanos() == 0) d->set_seconds(seconds);
}

void SetDefault(std::string* value, absl::string_view fallback) {
  if (value->empty()) *value = std::string(fallback);
}

class Checker {
 public:
  explicit Checker(GatewayConfig const& config) : config_(config) {}

  void Fail(absl::string_view key, absl::string_view rule) {
    errors_.push_back(absl::StrCat(key, ": ", rule));
  }

  void Url(absl::string_view key, absl::string_view url) {
    bool plain = absl::StartsWith(url, "http://");
    if (!absl::StartsWith(url, "https://") && !plain) {
      return Fail(key, "must be an https:// URL");
    }
    if (plain && !config_.upstream().allow_plain_http()) {
      Fail(key, "is plain http://; set upstream.allow_plain_http to allow it");
    }
  }

  void Positive(absl::string_view key, google::protobuf::Duration const& d) {
    if (ToDuration(d) <= absl::ZeroDuration()) Fail(key, "must be positive");
  }

  void Secret(absl::string_view key, v1::SecretRef const& ref) {
    if (absl::Status s = ResolveSecret(ref, key).status(); !s.ok()) {
      errors_.push_back(std::string(s.message()));
    }
  }

  absl::Status Result() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("invalid configuration: ", absl::StrJoin(errors_, "; ")));
  }

 private:
  GatewayConfig const& config_;
  std::vector<std::string> errors_;
};

void ApplyRetryDefaults(v1::RetryPolicyConfig& policy) {
  if (policy.max_attempts() == 0) policy.set_max_attempts(3);
  if (policy.initial_backoff().seconds() == 0 && policy.initial_backoff().nanos() == 0) {
    policy.mutable_initial_backoff()->set_nanos(100'000'000);
  }
  SetDefaultDuration(policy.mutable_max_backoff(), 20);
  if (policy.multiplier() == 0) policy.set_multiplier(2.0);
}

}  // namespace

std::vector<std::string> const& KnownOperations() {
  static auto const* operations = new std::vector<std::string>{
      "dash_replenishment.DeleteRegistration", "dash_replenishment.GetSubscriptionInfo",
      "sms_voice.DeleteRegistration",          "selling_partner.DeleteSubscription",
      "imiconnect.DeleteAppProfile",           "imiconnect.GetProfileTransaction",
  };
  return *operations;
}

v1::RetryPolicyConfig RetryPolicyFor(GatewayConfig const& config,
                                             std::string const& operation) {
  auto it = config.retry_policies().find(operation);
  v1::RetryPolicyConfig policy =
      it == config.retry_policies().end() ? v1::RetryPolicyConfig() : it->second;
  ApplyRetryDefaults(policy);
  return policy;
}

absl::Duration ToDuration(google::protobuf::Duration const& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view text,
                                          absl::string_view source_name) {
  ErrorCollector errors(source_name);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  GatewayConfig config;
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot parse configuration: ", absl::StrJoin(errors.errors(), "; ")));
  }
  return config;
}

absl::StatusOr<GatewayConfig> LoadConfigFile(std::string const& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read configuration file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

void ApplyDefaults(GatewayConfig& config) {
  SetDefault(config.mutable_listen_address(), "127.0.0.1:50051");
  SetDefaultDuration(config.mutable_default_deadline(), 30);
  SetDefaultDuration(config.mutable_shutdown_grace_period(), 10);

  auto* upstream = config.mutable_upstream();
  if (upstream->max_response_bytes() == 0) upstream->set_max_response_bytes(1 << 20);
  SetDefaultDuration(upstream->mutable_connect_timeout(), 5);

  SetDefault(config.mutable_dash_replenishment()->mutable_endpoint(),
             "https://dash-replenishment-service-na.amazon.com");
  SetDefault(config.mutable_login_with_amazon()->mutable_token_endpoint(),
             "https://api.amazon.com/auth/o2/token");

  auto* sp = config.mutable_selling_partner();
  SetDefault(sp->mutable_north_america_endpoint(), "https://sellingpartnerapi-na.amazon.com");
  SetDefault(sp->mutable_europe_endpoint(), "https://sellingpartnerapi-eu.amazon.com");
  SetDefault(sp->mutable_far_east_endpoint(), "https://sellingpartnerapi-fe.amazon.com");
  if (sp->default_region() == linkgateway::v1::SELLING_PARTNER_REGION_UNSPECIFIED) {
    sp->set_default_region(linkgateway::v1::SELLING_PARTNER_REGION_NORTH_AMERICA);
  }
  auto* limit = sp->mutable_delete_subscription_rate_limit();
  if (limit->requests_per_second() == 0) limit->set_requests_per_second(1.0);
  if (limit->burst() == 0) limit->set_burst(5);

  auto* sms = config.mutable_sms_voice();
  SetDefault(sms->mutable_region(), "us-east-1");
  SetDefault(sms->mutable_endpoint(), absl::StrCat("https://sms-voice.", sms->region(),
                                                   ".amazonaws.com"));
  if (sms->credentials().source_case() == v1::AwsCredentials::SOURCE_NOT_SET) {
    sms->mutable_credentials()->set_from_environment(true);
  }
  if (sms->credentials().has_file()) {
    SetDefault(sms->mutable_credentials()->mutable_file()->mutable_profile(), "default");
  }
}

absl::Status ValidateConfig(GatewayConfig const& config) {
  Checker check(config);
  {
    auto colon = config.listen_address().rfind(':');
    int port = -1;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(config.listen_address().substr(colon + 1), &port) || port < 0 ||
        port > 65535) {
      check.Fail("listen_address", "must be host:port with a port from 0 to 65535");
    }
  }
  check.Positive("default_deadline", config.default_deadline());
  check.Positive("shutdown_grace_period", config.shutdown_grace_period());
  check.Positive("upstream.connect_timeout", config.upstream().connect_timeout());
  if (config.upstream().max_response_bytes() <= 0) {
    check.Fail("upstream.max_response_bytes", "must be positive");
  }
  if (config.upstream().max_connections_per_host() < 0) {
    check.Fail("upstream.max_connections_per_host", "must not be negative");
  }
  for (auto const& [operation, policy] : config.retry_policies()) {
    std::string key = absl::StrCat("retry_policies[\"", operation, "\"]");
    auto const& known = KnownOperations();
    if (std::find(known.begin(), known.end(), operation) == known.end()) {
      check.Fail(key, absl::StrCat("unknown operation; known: ", absl::StrJoin(known, ", ")));
      continue;
    }
    v1::RetryPolicyConfig filled = policy;
    ApplyRetryDefaults(filled);
    if (filled.max_attempts() < 1) check.Fail(key + ".max_attempts", "must be at least 1");
    if (filled.multiplier() < 1) check.Fail(key + ".multiplier", "must be at least 1");
    check.Positive(key + ".initial_backoff", filled.initial_backoff());
    if (ToDuration(filled.max_backoff()) < ToDuration(filled.initial_backoff())) {
      check.Fail(key + ".max_backoff", "must not be below initial_backoff");
    }
  }
  if (!config.upstream().ca_bundle_file().empty() &&
      !std::ifstream(config.upstream().ca_bundle_file())) {
    check.Fail("upstream.ca_bundle_file", "cannot be read");
  }

  check.Url("dash_replenishment.endpoint", config.dash_replenishment().endpoint());
  auto const& lwa = config.login_with_amazon();
  check.Url("login_with_amazon.token_endpoint", lwa.token_endpoint());
  if (lwa.has_client_id()) check.Secret("login_with_amazon.client_id", lwa.client_id());
  if (lwa.has_client_secret()) {
    check.Secret("login_with_amazon.client_secret", lwa.client_secret());
  }

  auto const& sp = config.selling_partner();
  check.Url("selling_partner.north_america_endpoint", sp.north_america_endpoint());
  check.Url("selling_partner.europe_endpoint", sp.europe_endpoint());
  check.Url("selling_partner.far_east_endpoint", sp.far_east_endpoint());
  if (sp.delete_subscription_rate_limit().requests_per_second() <= 0 ||
      sp.delete_subscription_rate_limit().burst() <= 0) {
    check.Fail("selling_partner.delete_subscription_rate_limit",
               "requests_per_second and burst must be positive");
  }

  auto const& sms = config.sms_voice();
  check.Url("sms_voice.endpoint", sms.endpoint());
  if (sms.credentials().has_file() && sms.credentials().file().path().empty()) {
    check.Fail("sms_voice.credentials.file.path", "is required");
  }

  auto const& imi = config.imiconnect();
  if (!imi.base_url().empty()) {
    check.Url("imiconnect.base_url", imi.base_url());
  }
  if (imi.has_profile_key()) check.Secret("imiconnect.profile_key", imi.profile_key());
  return check.Result();
}

}  // namespace linkgateway::config
