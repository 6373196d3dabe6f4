#include "observability/metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::observability::metrics {
namespace {

// "host:port" or "[v6]:port".
bool SplitHostPort(std::string const& address, std::string& host, int& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty() && absl::SimpleAtoi(address.substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
}

int BoundPort(evhttp_bound_socket* handle) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(evhttp_bound_socket_get_fd(handle), reinterpret_cast<sockaddr*>(&address),
                  &length) != 0) {
    return 0;
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

std::string OpenSslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return absl::StrCat(what, ": ", text);
}

// The TLS context: TLS 1.2 or later, the certificate and key, and the client
// CA when one is given.
absl::StatusOr<SSL_CTX*> MakeTlsContext(HttpEndpoint::Options const& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(OpenSslError("cannot create a TLS context"));
  auto fail = [ctx](std::string why) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(std::move(why));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return fail(OpenSslError(absl::StrCat("metrics certificate ", options.cert_file)));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return fail(OpenSslError(absl::StrCat("metrics key ", options.key_file)));
  }
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      return fail(OpenSslError(absl::StrCat("metrics client CA ", options.client_ca_file)));
    }
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
    SSL_CTX_set_verify(
        ctx,
        SSL_VERIFY_PEER |
            (options.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  return ctx;
}

// Each accepted connection gets a TLS bufferevent in the accepting state.
bufferevent* TlsBufferevent(event_base* base, void* arg) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(arg));
  if (ssl == nullptr) return nullptr;
  return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                        BEV_OPT_CLOSE_ON_FREE);
}

}  // namespace

void HttpEndpoint::Serve(evhttp_request* request, void* arg) {
  auto const* endpoint = static_cast<HttpEndpoint const*>(arg);
  evbuffer* body = evbuffer_new();
  char const* path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
  evkeyvalq* headers = evhttp_request_get_input_headers(request);
  char const* authorization = evhttp_find_header(headers, "Authorization");
  if (endpoint->options_.authorize &&
      !endpoint->options_.authorize(authorization != nullptr ? authorization : "")) {
    evbuffer_add_printf(body, "unauthorized: this endpoint needs Authorization: Bearer <token>\n");
    evhttp_add_header(evhttp_request_get_output_headers(request), "WWW-Authenticate",
                      "Bearer realm=\"metrics\"");
    evhttp_send_reply(request, 401, "Unauthorized", body);
  } else if (path == nullptr || std::strcmp(path, "/metrics") != 0) {
    evbuffer_add_printf(body, "not found: this endpoint serves /metrics\n");
    evhttp_send_reply(request, HTTP_NOTFOUND, "Not Found", body);
  } else {
    std::string text = endpoint->registry_.Exposition();
    evbuffer_add(body, text.data(), text.size());
    evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type",
                      kExpositionContentType);
    evhttp_send_reply(request, HTTP_OK, "OK", body);
  }
  evbuffer_free(body);
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(std::string const& address,
                                                                  Registry const& registry) {
  Options options;
  options.address = address;
  return Start(std::move(options), registry);
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(Options options,
                                                                  Registry const& registry) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(options.address, host, port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", options.address, "\" must be host:port"));
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("metrics over TLS needs both a certificate and a key");
  }
  static bool const threads = evthread_use_pthreads() == 0;  // loopexit from another thread
  if (!threads) return absl::InternalError("libevent has no thread support");
  std::string const address = options.address;
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(registry, std::move(options)));
  if (!endpoint->options_.cert_file.empty()) {
    auto tls = MakeTlsContext(endpoint->options_);
    if (!tls.ok()) return tls.status();
    endpoint->tls_ = *tls;
  }
  endpoint->base_ = event_base_new();
  if (endpoint->base_ == nullptr) return absl::InternalError("cannot create an event base");
  endpoint->http_ = evhttp_new(endpoint->base_);
  if (endpoint->http_ == nullptr) return absl::InternalError("cannot create an HTTP server");
  // Scrapes are small GETs: refuse anything large, and idle connections go.
  evhttp_set_max_headers_size(endpoint->http_, 16 * 1024);
  evhttp_set_max_body_size(endpoint->http_, 0);
  evhttp_set_timeout(endpoint->http_, 30);
  evhttp_set_allowed_methods(endpoint->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(endpoint->http_, &HttpEndpoint::Serve, endpoint.get());
  if (endpoint->tls_ != nullptr) evhttp_set_bevcb(endpoint->http_, &TlsBufferevent, endpoint->tls_);
  evhttp_bound_socket* handle =
      evhttp_bind_socket_with_handle(endpoint->http_, host.c_str(), static_cast<ev_uint16_t>(port));
  if (handle == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " for metrics: ", std::strerror(errno)));
  }
  endpoint->port_ = BoundPort(handle);
  event_base* base = endpoint->base_;
  endpoint->thread_ = std::thread([base] { event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); });
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (thread_.joinable()) {
    // An exit event, not loopbreak: a break requested before the loop has
    // started would be forgotten when it starts.
    event_base_loopexit(base_, nullptr);
    thread_.join();
  }
  if (http_ != nullptr) evhttp_free(http_);
  if (base_ != nullptr) event_base_free(base_);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

}  // namespace linkgateway::observability::metrics
