#include "config/config.h"

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

}  // namespace

void SetDefaultDuration(google::protobuf::Duration* d, int64_t seconds) {
  if (d->seconds() == 0 && d->nanos() == 0) d->set_seconds(seconds);
}

void SetDefault(std::string* value, absl::string_view fallback) {
  if (value->empty()) *value = std::string(fallback);
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
  auto* idempotency = config.mutable_idempotency();
  SetDefaultDuration(idempotency->mutable_retention(), 24 * 3600);
  if (idempotency->max_records() == 0) idempotency->set_max_records(100000);
  auto* unlink = config.mutable_unlink();
  if (unlink->max_steps_in_flight() == 0) unlink->set_max_steps_in_flight(64);
  SetDefaultDuration(unlink->mutable_step_deadline(), 60);
  SetDefaultDuration(unlink->mutable_follow_for(), 600);
  SetDefaultDuration(unlink->mutable_follow_interval(), 1);
  SetDefaultDuration(unlink->mutable_lease(), 30);
  SetDefaultDuration(unlink->mutable_retention(), 30 * 24 * 3600);
  SetDefaultDuration(unlink->mutable_postgres_connect_timeout(), 5);
  SetDefaultDuration(unlink->mutable_postgres_statement_timeout(), 10);
  SetDefaultDuration(unlink->mutable_job_deadline(), 30 * 24 * 3600);
  if (unlink->max_waiting_steps() == 0) unlink->set_max_waiting_steps(100000);
  if (unlink->max_steps_in_flight_per_provider() == 0) {
    unlink->set_max_steps_in_flight_per_provider(16);
  }
  SetDefaultDuration(unlink->mutable_retry_initial_backoff(), 2);
  SetDefaultDuration(unlink->mutable_retry_max_backoff(), 3600);
  if (!config.shared_state().address().empty()) {
    auto* shared = config.mutable_shared_state();
    SetDefault(shared->mutable_key_prefix(), "linkgateway:");
    SetDefaultDuration(shared->mutable_connect_timeout(), 1);
    if (shared->command_timeout().seconds() == 0 && shared->command_timeout().nanos() == 0) {
      shared->mutable_command_timeout()->set_nanos(250000000);
    }
    if (shared->replicas() == 0) shared->set_replicas(1);
    SetDefaultDuration(shared->mutable_max_reconnect_backoff(), 30);
  }
}

namespace {

bool IsHostPort(std::string const& address) {
  auto colon = address.rfind(':');
  int port = -1;
  return colon != std::string::npos && colon != 0 &&
         absl::SimpleAtoi(address.substr(colon + 1), &port) && port >= 0 && port <= 65535;
}

}  // namespace

void ValidateConfig(GatewayConfig const& config, Checker& check) {
  if (!IsHostPort(config.listen_address())) {
    check.Fail("listen_address", "must be host:port with a port from 0 to 65535");
  }
  auto const& observability = config.observability();
  if (!observability.metrics_address().empty() && !IsHostPort(observability.metrics_address())) {
    check.Fail("observability.metrics_address", "must be host:port with a port from 0 to 65535");
  }
  if (!v1::LogLevel_IsValid(observability.log_level())) {
    check.Fail("observability.log_level", "must be one of DEBUG, INFO, WARNING, ERROR");
  }
  auto const& shared = config.shared_state();
  if (!shared.address().empty() && !IsHostPort(shared.address())) {
    check.Fail("shared_state.address", "must be host:port with a port from 1 to 65535");
  }
  if (shared.has_password()) check.Secret("shared_state.password", shared.password());
  if (shared.replicas() < 0) check.Fail("shared_state.replicas", "must be at least 1");
  check.Positive("idempotency.retention", config.idempotency().retention());
  if (config.idempotency().max_records() < 0) {
    check.Fail("idempotency.max_records", "must be at least 1");
  }
  auto const& unlink = config.unlink();
  if (unlink.max_steps_in_flight() < 0) {
    check.Fail("unlink.max_steps_in_flight", "must be at least 1");
  }
  check.Positive("unlink.step_deadline", unlink.step_deadline());
  check.Positive("unlink.follow_for", unlink.follow_for());
  check.Positive("unlink.follow_interval", unlink.follow_interval());
  check.Positive("unlink.lease", unlink.lease());
  check.Positive("unlink.retention", unlink.retention());
  check.Positive("unlink.postgres_connect_timeout", unlink.postgres_connect_timeout());
  check.Positive("unlink.postgres_statement_timeout", unlink.postgres_statement_timeout());
  if (!shared.address().empty()) {
    check.Positive("shared_state.max_reconnect_backoff", shared.max_reconnect_backoff());
  }
  check.Positive("unlink.job_deadline", unlink.job_deadline());
  if (unlink.max_waiting_steps() < 0) check.Fail("unlink.max_waiting_steps", "must be at least 1");
  if (unlink.max_steps_in_flight_per_provider() < 0) {
    check.Fail("unlink.max_steps_in_flight_per_provider", "must be at least 1");
  }
  check.Positive("unlink.retry_initial_backoff", unlink.retry_initial_backoff());
  check.Positive("unlink.retry_max_backoff", unlink.retry_max_backoff());
  if (!v1::AccessLogFormat_IsValid(observability.access_log().format())) {
    check.Fail("observability.access_log.format", "must be JSON or TEXT");
  }
  check.Positive("default_deadline", config.default_deadline());
  check.Positive("shutdown_grace_period", config.shutdown_grace_period());
  // Upstream values left at zero take the transport's defaults.
  auto const& upstream = config.upstream();
  check.NotNegative("upstream.connect_timeout", upstream.connect_timeout());
  if (upstream.max_response_bytes() < 0) {
    check.Fail("upstream.max_response_bytes", "must not be negative");
  }
  if (upstream.max_connections_per_host() < 0) {
    check.Fail("upstream.max_connections_per_host", "must not be negative");
  }
  if (upstream.event_loops() < 0) check.Fail("upstream.event_loops", "must not be negative");
  if (!upstream.ca_bundle_file().empty() && !std::ifstream(upstream.ca_bundle_file())) {
    check.Fail("upstream.ca_bundle_file", "cannot be read");
  }
}

}  // namespace linkgateway::config
