#include "server/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace linkgateway::server {
namespace {

// "host:port" or "[v6]:port" -> a bound, listening, non-blocking socket.
absl::StatusOr<int> BindSocket(std::string const& address, int backlog) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  std::string host(absl::StripSuffix(absl::StripPrefix(address.substr(0, colon), "["), "]"));
  std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", gai_strerror(rc)));
  }
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
      freeaddrinfo(found);
      return fd;
    }
    error = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", error));
}

// The peer as gRPC names it (grpc_sockaddr_to_uri): "ipv4:a.b.c.d:port" (also
// for v4-mapped IPv6) or "ipv6:[addr]:port".
std::string PeerName(sockaddr_storage const& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto const* in = reinterpret_cast<sockaddr_in const*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return absl::StrCat("ipv4:", text, ":", ntohs(in->sin_port));
  }
  auto const* in6 = reinterpret_cast<sockaddr_in6 const*>(&addr);
  if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
    inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text));
    return absl::StrCat("ipv4:", text, ":", ntohs(in6->sin6_port));
  }
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
  return absl::StrCat("ipv6:[", text, "]:", ntohs(in6->sin6_port));
}

ino_t InodeOf(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(Options options) {
  auto fd = BindSocket(options.address, options.backlog);
  if (!fd.ok()) return fd.status();
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (wake_fd < 0 || reserve_fd < 0) {
    close(*fd);
    if (wake_fd >= 0) close(wake_fd);
    if (reserve_fd >= 0) close(reserve_fd);
    return absl::ResourceExhaustedError("cannot create the listener's descriptors");
  }
  int port = LocalPort(*fd);
  return std::unique_ptr<Listener>(
      new Listener(std::move(options), *fd, wake_fd, reserve_fd, port));
}

Listener::Listener(Options options, int fd, int wake_fd, int reserve_fd, int port)
    : options_(std::move(options)), fd_(fd), wake_fd_(wake_fd), reserve_fd_(reserve_fd),
      port_(port) {}

Listener::~Listener() {
  Stop();
  close(wake_fd_);
  if (reserve_fd_ >= 0) close(reserve_fd_);
}

void Listener::Start(std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor) {
  acceptor_ = std::move(acceptor);
  thread_ = std::thread([this] { Run(); });
}

void Listener::Stop() {
  if (stopping_.exchange(true)) return;
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close(fd_);
}

bool Listener::CloseConnection(std::string const& peer) {
  absl::MutexLock lock(&mu_);
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return false;
  Handed handed = it->second;
  // Still the same socket, and still that peer's?
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (InodeOf(handed.fd) != handed.inode ||
      getpeername(handed.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      PeerName(addr) != peer) {
    return false;
  }
  shutdown(handed.fd, SHUT_RDWR);
  return true;
}

void Listener::Run() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      std::cerr << "linkgateway: listener poll failed: " << std::strerror(errno) << std::endl;
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    if (fds[1].revents != 0) break;
    // Drain what is pending, then poll again.
    for (int i = 0; i < 256 && !stopping_.load() && AcceptOne(); ++i) {
    }
  }
}

bool Listener::AcceptOne() {
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof(peer);
  int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) return true;
    if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
      // Out of descriptors: refuse the waiting caller rather than let the
      // backlog fill, then take the reserve back.
      close(reserve_fd_);
      int pending = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (pending >= 0) {
        close(pending);
        ++refused_;
      }
      reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
      return pending >= 0;
    }
    // Anything else (e.g. ENOBUFS): wait a moment; never stop listening.
    absl::SleepFor(absl::Milliseconds(10));
    return false;
  }
  if (fd >= options_.max_fd) {
    close(fd);
    ++refused_;
    return true;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  {
    absl::MutexLock lock(&mu_);
    // The descriptor's previous connection, if any, is closed.
    if (auto old = peer_by_fd_.find(fd); old != peer_by_fd_.end()) {
      by_peer_.erase(old->second);
      peer_by_fd_.erase(old);
    }
    std::string name = PeerName(peer);
    by_peer_[name] = Handed{fd, InodeOf(fd)};
    peer_by_fd_[fd] = std::move(name);
  }
  grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters params;
  params.listener_fd = fd_;
  params.fd = fd;
  acceptor_->HandleNewConnection(&params);
  ++accepted_;
  return true;
}

}  // namespace linkgateway::server
