// The gateway's own accept loop for its gRPC port.
//
// gRPC 1.51's listener stops accepting for good when accept4 fails with
// EMFILE (grpc/grpc issues 20418, 16058, 31080), and it has no cap on caller
// connections. So the gateway binds and accepts itself and hands each
// connection to gRPC through ServerBuilder's external connection acceptor
// (which keeps gRPC's TLS credentials). This loop:
// - never stops on an accept error: on EMFILE/ENFILE it frees a reserved
//   descriptor, accepts and closes the pending connection (so the backlog
//   drains instead of spinning), and goes on;
// - bounds caller connections: Linux hands out the lowest free descriptor,
//   so a connection whose descriptor number is at or above `max_fd` means
//   every lower descriptor is taken; it is closed at once. Caller
//   connections therefore never hold descriptors at or above `max_fd`, and
//   the range above stays free for upstream connections and files.
#ifndef LINKGATEWAY_SERVER_LISTENER_H_
#define LINKGATEWAY_SERVER_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <sys/types.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_builder.h"

namespace linkgateway::server {

class Listener {
 public:
  struct Options {
    std::string address;  // host:port; port 0 picks a free one
    // Connections are refused when their descriptor would be >= max_fd.
    int max_fd = 1 << 20;
    int backlog = 1024;
  };

  // Binds and listens (before the server starts, so start-up fails fast on a
  // bad or busy address). Accepting starts with Start().
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(Options options);
  ~Listener();

  int port() const { return port_; }

  // Hands every accepted connection to `acceptor` (from
  // ServerBuilder::experimental().AddExternalConnectionAcceptor) on a thread
  // of its own, until Stop().
  void Start(std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor);

  // Stops accepting and closes the listening socket; established
  // connections are gRPC's. Idempotent.
  void Stop();

  // Shuts down the connection gRPC knows by `peer` ("ipv4:1.2.3.4:5678",
  // "ipv6:[::1]:5678"), e.g. one abusing its streams: gRPC then closes it and
  // frees everything it held. The socket is checked to still be that
  // connection (descriptor numbers are reused); false when it is gone.
  bool CloseConnection(std::string const& peer) ABSL_LOCKS_EXCLUDED(mu_);

  // Connections handed to gRPC, and those refused because of the descriptor
  // bound or an accept error.
  std::int64_t accepted() const { return accepted_.load(); }
  std::int64_t refused() const { return refused_.load(); }

 private:
  Listener(Options options, int fd, int wake_fd, int reserve_fd, int port);
  void Run();
  // Accepts one pending connection; false when none is pending.
  bool AcceptOne();

  Options const options_;
  int fd_;
  int wake_fd_;     // eventfd: Stop() wakes the loop
  int reserve_fd_;  // /dev/null, given up for a moment when out of descriptors
  int port_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> accepted_{0};
  std::atomic<std::int64_t> refused_{0};

  // Connections handed to gRPC, by peer: the descriptor and its socket's
  // inode, which tells a reused descriptor apart. An entry is replaced when
  // its descriptor is reused, so there are never more than descriptors.
  struct Handed {
    int fd;
    ino_t inode;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Handed> by_peer_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, std::string> peer_by_fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_LISTENER_H_
