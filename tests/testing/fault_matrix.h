// The fault matrix, shared by its test (tests/integration:fault_matrix_test)
// and the soak tool (tests/soak): every provider operation, every way its
// upstream can fail, and what the caller must get for each.
//
// A row's fault is played by the operation's emulator for the requests of
// one call only (a scenario matched on the call's own id), so calls can run
// side by side; endpoint faults (refused, untrusted/expired/wrong-host
// certificates) are played by gateways whose upstreams point elsewhere.
#ifndef LINKGATEWAY_TESTS_TESTING_FAULT_MATRIX_H_
#define LINKGATEWAY_TESTS_TESTING_FAULT_MATRIX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing/emulated_gateway.h"

namespace linkgateway::tests::testing {

// The default retry policy's attempts: sends per call are bounded by it.
inline constexpr int kMaxAttempts = 3;

// One provider operation.
struct Operation {
  std::string name;  // "provider.operation"
  Emulator emulator;
  // A fresh target id for call number `n` (unique, safe in regexes).
  std::function<std::string(std::uint64_t n)> id;
  // Regex over an upstream request's text (https_emulator.py REQUEST_TEXT)
  // matching the requests of the call for `id`, and only those.
  std::function<std::string(std::string const& id)> match;
  // Makes `id` exist upstream (for the success row); returns the credential
  // the call needs ("" if none).
  std::function<absl::StatusOr<std::string>(EmulatedGateway&, std::string const& id)> seed;
  // One call for `id`; the context carries the deadline (and cancellation).
  std::function<grpc::Status(grpc::Channel&, grpc::ClientContext&, std::string const& id,
                             std::string const& credential)>
      call;
  // An emulator control verb (and its JSON) played before each faulty call
  // ("" = none).
  std::string prepare;
  std::string prepare_json = "{}";
  // Calls through the shared Selling Partner usage plan (1 rps): the soak
  // paces them on one worker.
  bool rate_limited = false;
};

// Where a fault is played.
enum class Endpoint { kEmulators, kRefused, kUntrusted, kExpired, kWrongHost };

struct Row {
  std::string fault;
  Endpoint endpoint = Endpoint::kEmulators;
  // The scenario's outcome keys (https_emulator.py), without "request";
  // "" with kEmulators: the documented success (the target is seeded).
  std::string scenario;
  grpc::StatusCode code = grpc::StatusCode::OK;
  // ErrorInfo.reason; "" when the caller's own deadline ends the call.
  std::string reason;
  // Upstream requests the call may make (those its `match` finds).
  int max_sends = kMaxAttempts;

  bool success() const { return endpoint == Endpoint::kEmulators && scenario.empty(); }
};

// Every operation, and its rows.
std::vector<Operation> AllOperations();
std::vector<Row> RowsFor(std::string const& operation);

// The scenario JSON a row plays for one call.
std::string ScenarioFor(Operation const& operation, Row const& row, std::string const& id,
                        absl::Duration ttl);

// The emulators plus one gateway against them and one per endpoint fault.
class FaultGateways {
 public:
  // `options` for every gateway; the Amazon emulator also serves the faulty
  // certificates on ports of their own.
  static absl::StatusOr<std::unique_ptr<FaultGateways>> Start(EmulatedGatewayOptions options = {});
  ~FaultGateways();

  EmulatedGateway& at(Endpoint endpoint) { return *gateways_.at(endpoint); }
  EmulatedGateway& main() { return at(Endpoint::kEmulators); }
  std::vector<EmulatedGateway*> all();

 private:
  std::map<Endpoint, std::unique_ptr<EmulatedGateway>> gateways_;
  int refused_fd_ = -1;
};

// The secrets the gateways hold or see: none may appear in any output.
std::vector<std::string> Secrets();

// Open descriptors and resident memory (KB) of a process, from /proc.
int OpenDescriptors(int pid);
long ResidentKb(int pid);

// Everything a gateway wrote: its output, access log and audit trail.
std::string WrittenBy(EmulatedGateway& gateway);

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_FAULT_MATRIX_H_
