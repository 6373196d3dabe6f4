#include "server/gateway_server.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "observability/log/log.h"
#include "protos/served_protoset.h"
#include "server/call/services.h"
#include "server/limits.h"
#include "server/methods/provider_methods.h"
#include "server/security/certificate_expiry.h"
#include "server/security/file_metrics.h"
#include "server/security/listener_security.h"
#include "server/security/token_file.h"

namespace linkgateway::server {

using config::ToDuration;

namespace {

int Milliseconds(google::protobuf::Duration const& d) {
  return static_cast<int>(
      std::min<std::int64_t>(absl::ToInt64Milliseconds(config::ToDuration(d)), INT_MAX));
}

// gRPC's own controls for what one caller may hold.
void ApplyLimits(config::v1::Limits const& limits, grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("linkgateway");
  quota.Resize(static_cast<std::size_t>(limits.memory_quota_bytes()));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(limits.max_receive_message_bytes());
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams());
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, limits.max_metadata_bytes());
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Milliseconds(limits.max_connection_idle()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             Milliseconds(limits.max_connection_age()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             Milliseconds(limits.max_connection_age_grace()));
  // Keepalive enforcement: pings more often than this (or without calls)
  // count as strikes, and two strikes close the connection.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Milliseconds(limits.min_keepalive_ping_interval()));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
}

}  // namespace

GatewayServer::GatewayServer(GatewayConfig const& config,
                             adapters::operation::ProviderRegistry const& providers,
                             observability::metrics::GatewayMetrics& metrics,
                             idempotency::IdempotencyStore* idempotency,
                             std::unique_ptr<security::Authenticator> authenticator,
                             std::unique_ptr<call::PolicyFile> policy,
                             std::unique_ptr<observability::access_log::AccessLog> access_log)
    : authenticator_(std::move(authenticator)),
      policy_(std::move(policy)),
      audit_(std::make_unique<audit::AuditLog>(
          audit::AuditLog::OptionsFrom(config.security().audit()))),
      access_log_(std::move(access_log)),
      own_idempotency_(idempotency != nullptr
                           ? nullptr
                           : std::make_unique<idempotency::MemoryIdempotencyStore>(
                                 config.idempotency().max_records() > 0
                                     ? static_cast<std::size_t>(config.idempotency().max_records())
                                     : 100000)),
      limiter_(config.limits().max_calls_in_flight()),
      // Looser than the HTTP/2 setting gRPC enforces for clients that
      // acknowledged it: gRPC frees a stream slot a moment before OnDone.
      connections_(2 * config.limits().max_concurrent_streams(),
                   [this](std::string const& peer) {
                     if (listener_ && listener_->CloseConnection(peer)) {
                       observability::log::Warning(
                           "closed connection ", peer,
                           ": it kept opening calls beyond its limit without reading "
                           "the answers");
                     }
                   }),
      serving_{config::ToDuration(config.default_deadline()),
               limiter_,
               connections_,
               *authenticator_,
               policy_.get(),
               *audit_,
               idempotency != nullptr ? *idempotency : *own_idempotency_,
               config.idempotency().has_retention()
                   ? config::ToDuration(config.idempotency().retention())
                   : absl::Hours(24),
               metrics,
               access_log_.get(),
               refusals_},
      pipeline_(serving_),
      health_(authenticator_->required() && !config.security().public_health_and_reflection()
                  ? authenticator_.get()
                  : nullptr) {
  methods::AddProviderMethods(providers, methods_);
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(
    GatewayConfig const& given, adapters::operation::ProviderRegistry const& providers,
    observability::metrics::GatewayMetrics& metrics,
    idempotency::IdempotencyStore* idempotency, ExtensionFactory extension) {
  GatewayConfig config = given;  // limits left unset take their defaults
  ApplyLimitDefaults(config, CurrentOpenFileLimit());
  auto const& security = config.security();

  std::unique_ptr<security::TokenFile> tokens;
  if (!security.authentication().token_file().empty()) {
    auto loaded = security::LoadTokenFile(security.authentication().token_file(),
                                          security::WatchedFileOptionsFrom(security));
    if (!loaded.ok()) return loaded.status();
    tokens = *std::move(loaded);
  }
  auto authenticator =
      std::make_unique<security::Authenticator>(security.authentication().mtls(), std::move(tokens));
  std::unique_ptr<call::PolicyFile> policy;
  if (!security.policy_file().empty()) {
    auto loaded = security::LoadPolicyFile(security.policy_file(),
                                           security::WatchedFileOptionsFrom(security));
    if (!loaded.ok()) return loaded.status();
    policy = *std::move(loaded);
  }
  std::unique_ptr<observability::access_log::AccessLog> access_log;
  if (config.observability().access_log().enabled()) {
    auto opened = observability::access_log::AccessLog::Open(config.observability().access_log(),
                                                             metrics.access_log_dropped());
    if (!opened.ok()) return opened.status();
    access_log = *std::move(opened);
  }
  std::unique_ptr<GatewayServer> gateway(
      new GatewayServer(config, providers, metrics, idempotency, std::move(authenticator),
                        std::move(policy), std::move(access_log)));
  if (extension) {
    auto built = extension(config, gateway->pipeline_, gateway->methods_);
    if (!built.ok()) return built.status();
    gateway->extension_ = *std::move(built);
  }
  gateway->services_ = call::ServicesFor(gateway->methods_, gateway->pipeline_);
  if (absl::Status reflection = gateway->ServeReflection(security); !reflection.ok()) {
    return reflection;
  }
  if (absl::Status serving = gateway->Serve(config); !serving.ok()) return serving;
  metrics.SetInFlightReader(
      [limiter = &gateway->limiter_] { return static_cast<double>(limiter->in_flight()); });
  // Per-service health, so a probe can ask for the service it depends on.
  gateway->health_.Set("", true);
  for (auto const& name : gateway->methods_.ServiceNames()) gateway->health_.Set(name, true);
  gateway->provider_health_ = std::make_unique<ProviderHealth>(providers, gateway->health_);
  gateway->security_health_ =
      std::make_unique<SecurityHealth>(*gateway->audit_, gateway->authenticator_->tokens(),
                                       gateway->policy_.get(), gateway->methods_, gateway->health_);
  gateway->dependency_health_ = std::make_unique<DependencyHealth>(gateway->health_, metrics);
  gateway->dependency_health_->Add("audit_trail",
                                   [audit = gateway->audit_.get()] { return audit->health(); });
  security::ExportSecurityFileMetrics(metrics.registry(), gateway->authenticator_->tokens(),
                                      gateway->policy_.get());
  security::ExportCertificateExpiry(metrics.registry(), config);
  return gateway;
}

absl::Status GatewayServer::ServeReflection(config::v1::Security const& security) {
  std::vector<std::string> served = methods_.ServiceNames();
  for (char const* name : {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                           "grpc.reflection.v1alpha.ServerReflection"}) {
    served.push_back(name);
  }
  auto index = ReflectionIndex::Create(
      std::string(reinterpret_cast<char const*>(protos::kServedProtoset),
                  protos::kServedProtosetSize),
      served);
  if (!index.ok()) return index.status();
  reflection_index_ = *std::move(index);
  security::Authenticator const* gate =
      authenticator_->required() && !security.public_health_and_reflection() ? authenticator_.get()
                                                                             : nullptr;
  reflection_v1_ = std::make_unique<ReflectionV1>(*reflection_index_, gate);
  reflection_v1alpha_ = std::make_unique<ReflectionV1Alpha>(*reflection_index_, gate);
  return absl::OkStatus();
}

absl::Status GatewayServer::Serve(GatewayConfig const& config) {
  // The gateway accepts connections itself (listener.h): caller connections
  // stay below their descriptor bound and an exhausted descriptor table never
  // stops the listener.
  auto const& limits = config.limits();
  auto listener = Listener::Bind(
      {config.listen_address(), kReservedDescriptors + limits.max_connections()});
  if (!listener.ok()) return listener.status();
  listener_ = *std::move(listener);

  grpc::ServerBuilder builder;
  auto acceptor = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      security::ListenerCredentials(config.security()));
  ApplyLimits(limits, builder);
  for (auto const& [name, service] : services_) builder.RegisterService(service.get());
  builder.RegisterService(&health_);
  builder.RegisterService(reflection_v1_.get());
  builder.RegisterService(reflection_v1alpha_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve on ", config.listen_address()));
  }
  listener_->Start(std::move(acceptor));
  return absl::OkStatus();
}

void GatewayServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;  // never started (e.g. cannot bind)
  shut_down_ = true;
  provider_health_.reset();
  dependency_health_.reset();
  security_health_.reset();
  // Load balancers stop sending before the listener closes.
  health_.Shutdown();
  listener_->Stop();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

GatewayServer::~GatewayServer() {
  Shutdown(absl::ZeroDuration());
  // The unlink engine stops (its steps in flight give up), then what its
  // steps' calls still use stays until the last has reported.
  extension_.reset();
  pipeline_.WaitForCalls();
  serving_.metrics.SetInFlightReader(nullptr);
}

}  // namespace linkgateway::server
