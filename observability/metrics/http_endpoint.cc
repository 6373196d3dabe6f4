#include "observability/metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
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

void Serve(evhttp_request* request, void* arg) {
  auto const* registry = static_cast<Registry const*>(arg);
  evbuffer* body = evbuffer_new();
  char const* path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
  if (path == nullptr || std::strcmp(path, "/metrics") != 0) {
    evbuffer_add_printf(body, "not found: this endpoint serves /metrics\n");
    evhttp_send_reply(request, HTTP_NOTFOUND, "Not Found", body);
  } else {
    std::string text = registry->Exposition();
    evbuffer_add(body, text.data(), text.size());
    evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type",
                      kExpositionContentType);
    evhttp_send_reply(request, HTTP_OK, "OK", body);
  }
  evbuffer_free(body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(std::string const& address,
                                                                  Registry const& registry) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(address, host, port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\" must be host:port"));
  }
  static bool const threads = evthread_use_pthreads() == 0;  // loopexit from another thread
  if (!threads) return absl::InternalError("libevent has no thread support");
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(registry));
  endpoint->base_ = event_base_new();
  if (endpoint->base_ == nullptr) return absl::InternalError("cannot create an event base");
  endpoint->http_ = evhttp_new(endpoint->base_);
  if (endpoint->http_ == nullptr) return absl::InternalError("cannot create an HTTP server");
  // Scrapes are small GETs: refuse anything large, and idle connections go.
  evhttp_set_max_headers_size(endpoint->http_, 16 * 1024);
  evhttp_set_max_body_size(endpoint->http_, 0);
  evhttp_set_timeout(endpoint->http_, 30);
  evhttp_set_allowed_methods(endpoint->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(endpoint->http_, &Serve, const_cast<Registry*>(&registry));
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
}

}  // namespace linkgateway::observability::metrics
