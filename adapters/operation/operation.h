// The seam between the gRPC services and the provider adapters.
//
// Each RPC's request names its provider in a `target` oneof. An adapter
// implements `Operation<Request, Response>` for the RPCs its provider serves;
// its provider's factory (adapters/<provider>/factory.cc) registers it in an
// `OperationTable` under the oneof case it handles, with the provider's
// request validation, so a new provider is an addition: a oneof case plus a
// folder (docs/architecture.md "Adding a provider").
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::operation {

// What an adapter knows about the gRPC call it serves.
struct CallContext {
  // The whole upstream exchange (retries included) must end by then: the
  // caller's gRPC deadline, or now + the configured default.
  absl::Time deadline = absl::InfiniteFuture();
  // Cancelled when the caller cancels the gRPC call (or it ends otherwise);
  // transfers, retries and queued calls give up at once. Never null when set
  // by the server.
  std::shared_ptr<adapters::async::Cancellation> cancellation;
  // What went upstream (may be null): adapters put it on their requests.
  std::shared_ptr<adapters::transport::UpstreamTrace> trace;
  // How long the call may wait for its turn in a rate limit; beyond, it is
  // refused at once (RESOURCE_EXHAUSTED with the time the next turn is
  // free). Queued work (unlink steps) waits in its own queue instead, so it
  // takes only turns that are free now and never holds up a caller's call.
  absl::Duration max_queue_wait = absl::InfiniteDuration();
  // Set when whoever queued the work already took the first start's turn of
  // the operation's rate limit (ProviderRegistry::delete_turns): that start
  // does not ask the limit again; later ones (retries) do. Taken once.
  std::shared_ptr<std::atomic<bool>> turn_taken = nullptr;
};

// Called exactly once with the outcome; may run on any thread.
template <typename Response>
using Callback = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

// One RPC, served by one provider. Start() must not block on the upstream:
// it starts the work and returns; `done` reports the outcome later.
template <typename Request, typename Response>
class Operation {
 public:
  virtual ~Operation() = default;
  virtual void Start(CallContext const& context, Request const& request,
                     Callback<Response> done) = 0;

  // Whether the operation could run now as far as the gateway can tell
  // without calling the provider: its configuration and credentials are
  // there. What a dry run (validate_only) checks after validation.
  virtual absl::Status Preflight() const { return absl::OkStatus(); }
};

// Checks a request against its provider's rules before anything is sent:
// OK, or INVALID_ARGUMENT naming every broken field (adapters::errors::InvalidArgument).
template <typename Request>
using Validator = std::function<absl::Status(Request const&)>;

// The operations registered for one RPC, by the request's target case.
template <typename Request, typename Response>
class OperationTable {
 public:
  using RequestType = Request;
  using ResponseType = Response;
  using OperationType = Operation<Request, Response>;

  struct Entry {
    Validator<Request> validate;
    std::shared_ptr<OperationType> operation;
  };

  void Add(int target_case, Validator<Request> validate,
           std::shared_ptr<OperationType> operation) {
    table_[target_case] = Entry{std::move(validate), std::move(operation)};
  }

  // nullptr when no adapter serves `target_case` yet.
  Entry const* Find(int target_case) const {
    auto it = table_.find(target_case);
    return it == table_.end() ? nullptr : &it->second;
  }

  // Calls f(target_case, entry) for every registered operation.
  template <typename F>
  void ForEach(F&& f) const {
    for (auto const& [target_case, entry] : table_) f(target_case, entry);
  }

 private:
  absl::flat_hash_map<int, Entry> table_;
};

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_H_
