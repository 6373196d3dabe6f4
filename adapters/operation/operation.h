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
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// The operations registered for one RPC, by the request's target case and,
// for a provider with named accounts (docs/accounts.md), by account: each
// account has an operation of its own (its credentials, endpoint, rate
// limit), and one of them is the default of requests that name none.
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

  // The operation of a provider without accounts.
  void Add(int target_case, Validator<Request> validate,
           std::shared_ptr<OperationType> operation) {
    Add(target_case, "", std::move(validate), std::move(operation));
  }
  // Account `account`'s operation. The first account added is the default
  // until SetDefaultAccount names another.
  void Add(int target_case, std::string const& account, Validator<Request> validate,
           std::shared_ptr<OperationType> operation) {
    auto& provider = table_[target_case];
    if (provider.accounts.empty()) provider.default_account = account;
    provider.accounts[account] = Entry{std::move(validate), std::move(operation)};
  }
  void SetDefaultAccount(int target_case, std::string account) {
    table_[target_case].default_account = std::move(account);
  }

  // Whether any operation serves `target_case`.
  bool Serves(int target_case) const { return table_.contains(target_case); }

  // The account a request for `target_case` that names none goes to: "" when
  // the provider has no accounts (or is not served).
  std::string DefaultAccount(int target_case) const {
    auto it = table_.find(target_case);
    return it == table_.end() ? "" : it->second.default_account;
  }

  // The operation of `account` ("" = the default account); nullptr when no
  // adapter serves `target_case` or it has no such account.
  Entry const* Find(int target_case, absl::string_view account = "") const {
    auto it = table_.find(target_case);
    if (it == table_.end()) return nullptr;
    auto const& accounts = it->second.accounts;
    auto found = accounts.find(account.empty() ? it->second.default_account : std::string(account));
    return found == accounts.end() ? nullptr : &found->second;
  }

  // Calls f(target_case, account, entry) for every registered operation.
  template <typename F>
  void ForEach(F&& f) const {
    for (auto const& [target_case, provider] : table_) {
      for (auto const& [account, entry] : provider.accounts) f(target_case, account, entry);
    }
  }

 private:
  struct Provider {
    std::map<std::string, Entry> accounts;
    std::string default_account;
  };
  absl::flat_hash_map<int, Provider> table_;
};

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_OPERATION_H_
