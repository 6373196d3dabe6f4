// A minimal HTTP/1.1 upstream for the benchmark (libevent's evhttp: one
// event loop, keep-alive, thousands of connections). Every request is answered
// after a fixed latency; with --fail_every=2 every second request gets
// 503 + Retry-After. With --tls_cert/--tls_key it serves HTTPS (OpenSSL
// through libevent). GET /__stats answers {"connections":N,"requests":N,
// "handshakes":N,"resumed":N}: TLS handshakes completed, and how many of
// them resumed a session.
//
//   upstream --latency_ms=100 [--fail_every=2] [--retry_after=0]
//            [--tls_cert=PEM --tls_key=PEM]
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int, latency_ms, 0, "Delay before each answer.");
ABSL_FLAG(int, fail_every, 0, "Answer every Nth request with 503 (0 = never).");
ABSL_FLAG(std::string, retry_after, "0", "Retry-After of the 503 answers.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate: serve HTTPS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");

namespace {

struct Upstream {
  event_base* base = nullptr;
  timeval latency{};
  int fail_every = 0;
  std::string retry_after;
  std::int64_t connections = 0;
  std::int64_t requests = 0;
  SSL_CTX* tls = nullptr;  // HTTPS when set
};

// Counted by OpenSSL's info callback (one event loop: no locking).
std::int64_t handshakes = 0;
std::int64_t resumed = 0;

void OnTlsInfo(SSL const* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  ++handshakes;
  if (SSL_session_reused(const_cast<SSL*>(ssl))) ++resumed;
}

struct Pending {
  Upstream* upstream;
  evhttp_request* request;
  bool fail;
};

void Answer(evutil_socket_t, short, void* arg) {
  auto* pending = static_cast<Pending*>(arg);
  evkeyvalq* headers = evhttp_request_get_output_headers(pending->request);
  if (pending->fail) {
    evhttp_add_header(headers, "Retry-After", pending->upstream->retry_after.c_str());
    evhttp_send_reply(pending->request, 503, "Service Unavailable", nullptr);
  } else {
    evhttp_add_header(headers, "x-amzn-type-version",
                      "com.amazon.dash.replenishment.DrsDeregisterResult@1.0");
    evhttp_send_reply(pending->request, 200, "OK", nullptr);
  }
  delete pending;
}

void OnRequest(evhttp_request* request, void* arg) {
  auto* upstream = static_cast<Upstream*>(arg);
  if (std::strcmp(evhttp_request_get_uri(request), "/__stats") == 0) {
    evbuffer* body = evbuffer_new();
    std::string json = absl::StrCat(R"({"connections":)", upstream->connections,
                                    R"(,"requests":)", upstream->requests,
                                    R"(,"handshakes":)", handshakes, R"(,"resumed":)", resumed,
                                    "}");
    evbuffer_add(body, json.data(), json.size());
    evhttp_send_reply(request, 200, "OK", body);
    evbuffer_free(body);
    return;
  }
  ++upstream->requests;
  bool fail = upstream->fail_every > 0 && upstream->requests % upstream->fail_every == 0;
  auto* pending = new Pending{upstream, request, fail};
  if (upstream->latency.tv_sec == 0 && upstream->latency.tv_usec == 0) {
    Answer(-1, 0, pending);
    return;
  }
  event_base_once(upstream->base, -1, EV_TIMEOUT, &Answer, pending, &upstream->latency);
}

// Called once per accepted connection.
bufferevent* OnConnection(event_base* base, void* arg) {
  auto* upstream = static_cast<Upstream*>(arg);
  ++upstream->connections;
  if (upstream->tls == nullptr) return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  return bufferevent_openssl_socket_new(base, -1, SSL_new(upstream->tls),
                                        BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Upstream upstream;
  upstream.base = event_base_new();
  int latency_ms = absl::GetFlag(FLAGS_latency_ms);
  upstream.latency = {latency_ms / 1000, (latency_ms % 1000) * 1000};
  upstream.fail_every = absl::GetFlag(FLAGS_fail_every);
  upstream.retry_after = absl::GetFlag(FLAGS_retry_after);
  if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
    upstream.tls = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(upstream.tls, absl::GetFlag(FLAGS_tls_cert).c_str()) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(upstream.tls, absl::GetFlag(FLAGS_tls_key).c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      std::fprintf(stderr, "cannot load the TLS certificate or key\n");
      return 1;
    }
    SSL_CTX_set_info_callback(upstream.tls, &OnTlsInfo);
  }

  evhttp* http = evhttp_new(upstream.base);
  evhttp_set_gencb(http, &OnRequest, &upstream);
  evhttp_set_bevcb(http, &OnConnection, &upstream);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE | EVHTTP_REQ_POST);
  evhttp_bound_socket* socket = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
  if (socket == nullptr) {
    std::fprintf(stderr, "cannot bind 127.0.0.1\n");
    return 1;
  }
  sockaddr_storage address{};
  ev_socklen_t length = sizeof(address);
  getsockname(evhttp_bound_socket_get_fd(socket), reinterpret_cast<sockaddr*>(&address),
              &length);
  int port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  event_base_dispatch(upstream.base);
  evhttp_free(http);
  event_base_free(upstream.base);
  return 0;
}
