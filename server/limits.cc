#include "server/limits.h"

#include <sys/resource.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace linkgateway::server {
namespace {

constexpr int kDefaultMaxCallsInFlight = 2048;
constexpr int kDefaultMaxConcurrentStreams = 256;
constexpr int kDefaultMaxReceiveMessageBytes = 64 << 10;
constexpr int kDefaultMaxMetadataBytes = 16 << 10;
constexpr std::int64_t kDefaultMemoryQuotaBytes = std::int64_t{256} << 20;
constexpr int kMaxDefaultUpstreamConnections = 4096;

void SetDefaultInt(int value, int fallback, void (config::v1::Limits::*set)(std::int32_t),
                   config::v1::Limits* limits) {
  if (value == 0) (limits->*set)(fallback);
}

}  // namespace

OpenFileLimit RaiseOpenFileLimit() {
  OpenFileLimit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
  result.before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  result.soft = limit.rlim_cur;
  result.hard = limit.rlim_max;
  return result;
}

std::uint64_t CurrentOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  return limit.rlim_cur;
}

void ApplyLimitDefaults(config::GatewayConfig& config, std::uint64_t open_files) {
  // Descriptors beyond 2^20 are never needed here; keep the arithmetic in int.
  int files = static_cast<int>(std::min<std::uint64_t>(open_files, 1 << 20));
  auto* upstream = config.mutable_upstream();
  if (upstream->max_total_connections() == 0) {
    upstream->set_max_total_connections(
        std::max(1, std::min(kMaxDefaultUpstreamConnections, files / 4)));
  }
  auto* limits = config.mutable_limits();
  SetDefaultInt(limits->max_calls_in_flight(), kDefaultMaxCallsInFlight,
                &config::v1::Limits::set_max_calls_in_flight, limits);
  SetDefaultInt(limits->max_connections(),
                std::max(1, files - upstream->max_total_connections() - kReservedDescriptors),
                &config::v1::Limits::set_max_connections, limits);
  SetDefaultInt(limits->max_concurrent_streams(), kDefaultMaxConcurrentStreams,
                &config::v1::Limits::set_max_concurrent_streams, limits);
  SetDefaultInt(limits->max_receive_message_bytes(), kDefaultMaxReceiveMessageBytes,
                &config::v1::Limits::set_max_receive_message_bytes, limits);
  SetDefaultInt(limits->max_metadata_bytes(), kDefaultMaxMetadataBytes,
                &config::v1::Limits::set_max_metadata_bytes, limits);
  if (limits->memory_quota_bytes() == 0) limits->set_memory_quota_bytes(kDefaultMemoryQuotaBytes);
  config::SetDefaultDuration(limits->mutable_max_connection_idle(), 5 * 60);
  config::SetDefaultDuration(limits->mutable_max_connection_age(), 30 * 60);
  config::SetDefaultDuration(limits->mutable_max_connection_age_grace(), 30);
  config::SetDefaultDuration(limits->mutable_min_keepalive_ping_interval(), 60);
}

void CheckLimits(config::GatewayConfig const& config, std::uint64_t open_files,
                 config::Checker& check) {
  auto const& limits = config.limits();
  for (auto [key, value] :
       {std::pair{"limits.max_calls_in_flight", limits.max_calls_in_flight()},
        std::pair{"limits.max_connections", limits.max_connections()},
        std::pair{"limits.max_concurrent_streams", limits.max_concurrent_streams()},
        std::pair{"limits.max_receive_message_bytes", limits.max_receive_message_bytes()},
        std::pair{"limits.max_metadata_bytes", limits.max_metadata_bytes()},
        std::pair{"upstream.max_total_connections", config.upstream().max_total_connections()}}) {
    if (value <= 0) check.Fail(key, "must be positive");
  }
  if (limits.memory_quota_bytes() <= 0) check.Fail("limits.memory_quota_bytes", "must be positive");
  check.Positive("limits.max_connection_idle", limits.max_connection_idle());
  check.Positive("limits.max_connection_age", limits.max_connection_age());
  check.Positive("limits.max_connection_age_grace", limits.max_connection_age_grace());
  check.Positive("limits.min_keepalive_ping_interval", limits.min_keepalive_ping_interval());
  std::int64_t needed = std::int64_t{limits.max_connections()} +
                        config.upstream().max_total_connections() + kReservedDescriptors;
  if (needed > static_cast<std::int64_t>(open_files)) {
    check.Fail("limits.max_connections",
               absl::StrCat("with upstream.max_total_connections and ", kReservedDescriptors,
                            " reserved descriptors needs ", needed,
                            " open files; the limit is ", open_files));
  }
}

}  // namespace linkgateway::server
