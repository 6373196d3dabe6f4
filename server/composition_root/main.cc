// linkgateway: one gRPC API for device, subscription and app-profile links at
// third-party providers.
//
//   gateway --config=gateway.textproto [--listen=127.0.0.1:50051]
//
// Stops gracefully on SIGTERM or SIGINT.
#include <csignal>
#include <cstring>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "observability/log/log.h"
#include "server/composition_root/composition_root.h"
#include "server/composition_root/gateway.h"
#include "server/limits.h"
#include "server/security/listener_security.h"

ABSL_FLAG(std::string, config, "",
          "Path of a GatewayConfig text-format file; empty uses the defaults.");
ABSL_FLAG(std::string, listen, "", "Overrides listen_address (host:port; port 0 = any free).");
ABSL_FLAG(bool, plaintext, false,
          "Sets security.plaintext: serve without TLS (logged as a warning; off loopback it "
          "also needs security.allow_plaintext_off_loopback).");

namespace {

using linkgateway::config::GatewayConfig;

absl::StatusOr<GatewayConfig> LoadConfig() {
  GatewayConfig config;
  if (std::string path = absl::GetFlag(FLAGS_config); !path.empty()) {
    auto loaded = linkgateway::config::LoadConfigFile(path);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  if (std::string listen = absl::GetFlag(FLAGS_listen); !listen.empty()) {
    config.set_listen_address(listen);
  }
  if (absl::GetFlag(FLAGS_plaintext)) config.mutable_security()->set_plaintext(true);
  if (absl::Status valid = linkgateway::server::composition_root::PrepareConfig(config);
      !valid.ok()) {
    return valid;
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Serves the linkgateway gRPC API.");
  absl::ParseCommandLine(argc, argv);
  // Debian's abseil checks every Mutex acquisition for lock-order cycles
  // (graph bookkeeping on each lock); measured at ~7% of the gateway's CPU
  // under load (tests/benchmarks). Tests keep the check on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals before gRPC starts threads, so every thread
  // inherits the mask and only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // More descriptors make descriptor floods need far more connections; the
  // limits below are sized to what the process got.
  auto files = linkgateway::server::RaiseOpenFileLimit();
  namespace log = linkgateway::observability::log;
  log::Info("open-file limit ", files.before, " raised to ", files.soft, " (hard ", files.hard,
            ")");

  auto config = LoadConfig();
  if (!config.ok()) {
    log::Error(config.status().message());
    return 2;
  }
  auto const& observability = config->observability();
  if (observability.log_level() != linkgateway::config::v1::LOG_LEVEL_UNSPECIFIED) {
    log::SetLevel(static_cast<log::Level>(observability.log_level()));
  }

  bool configuration_error = false;
  auto gateway =
      linkgateway::server::composition_root::Gateway::Start(*config, &configuration_error);
  if (!gateway.ok()) {
    log::Error(gateway.status().message());
    return configuration_error ? 2 : 1;
  }
  std::string host = config->listen_address().substr(0, config->listen_address().rfind(':'));
  for (auto const& warning : linkgateway::server::security::SecurityWarnings(*config)) {
    log::Warning(warning);
  }
  auto const& limits = config->limits();
  log::Info("limits: ", limits.max_calls_in_flight(), " calls in flight, ",
            limits.max_connections(), " caller connections, ",
            config->upstream().max_total_connections(), " upstream connections, ",
            limits.max_concurrent_streams(), " streams per connection, ",
            limits.memory_quota_bytes() >> 20, " MiB gRPC memory");
  // Launchers and tests wait for this line, whatever the log level.
  log::Announce("listening on ", host, ":", (*gateway)->port());
  int signal = 0;
  sigwait(&stop_signals, &signal);
  auto grace = linkgateway::config::ToDuration(config->shutdown_grace_period());
  log::Info(strsignal(signal), ", draining for up to ", absl::FormatDuration(grace));
  (*gateway)->Drain(grace);
  gateway->reset();
  log::Info("stopped");
  return 0;
}
