// A minimal HTTP/1.1 upstream for the benchmark (libevent's evhttp: one
// event loop, keep-alive, thousands of connections). Every request is answered
// after a fixed latency; with --fail_every=2 every second request gets
// 503 + Retry-After. GET /__stats answers {"connections":N,"requests":N}.
//
//   upstream --latency_ms=100 [--fail_every=2] [--retry_after=0]
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include <netinet/in.h>
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

namespace {

struct Upstream {
  event_base* base = nullptr;
  timeval latency{};
  int fail_every = 0;
  std::string retry_after;
  std::int64_t connections = 0;
  std::int64_t requests = 0;
};

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
                                    R"(,"requests":)", upstream->requests, "}");
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
  ++static_cast<Upstream*>(arg)->connections;
  return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
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
