// The listener's transport security from config.security: TLS (certificate,
// key and optional client CA re-read by gRPC's FileWatcherCertificateProvider
// when they change) or, when asked for explicitly, plaintext. Also the
// start-up checks and warnings of the security section.
#ifndef LINKGATEWAY_SERVER_SECURITY_LISTENER_SECURITY_H_
#define LINKGATEWAY_SERVER_SECURITY_LISTENER_SECURITY_H_

#include <memory>
#include <string>
#include <vector>

#include "config/checker.h"
#include "config/config.h"
#include "grpcpp/security/server_credentials.h"

namespace linkgateway::server::security {

// Whether every address the host of `listen_address` ("host:port")
// resolves to is loopback; false when it does not resolve.
bool IsLoopback(std::string const& listen_address);

// Checks config.security: TLS files readable, plaintext asked for explicitly
// (and allowed off loopback only when that is said too), anonymous callers
// off loopback only when allowed, the token file and policy loadable (and
// trusted: not writable by group or others), the audit settings and signing
// key; and the metrics endpoint (metrics_security.h).
void CheckSecurity(config::GatewayConfig const& config, config::Checker& check);

// What the start-up log must say about the security settings (plaintext,
// anonymous callers, audit to the log, metrics open to anyone off
// loopback).
std::vector<std::string> SecurityWarnings(config::GatewayConfig const& config);

// The credentials for the listener.
std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(
    config::v1::Security const& security);

}  // namespace linkgateway::server::security

#endif  // LINKGATEWAY_SERVER_SECURITY_LISTENER_SECURITY_H_
