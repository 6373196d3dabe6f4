// Every provider RPC's operation table (one per entry of ProviderRpcs): what
// the server dispatches through, and what providers declare beside their
// operations.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/operation/operation.h"
#include "adapters/operation/rpcs.h"
#include "google/protobuf/message.h"
#include "linkgateway/v1/app_profiles.pb.h"

namespace linkgateway::adapters::operation {

// Work a provider queues when it accepts a delete and reports on later (a
// transaction to follow to its final state), as its factory declares it.
struct FollowUp {
  // Where the queued work stands.
  struct State {
    v1::ProfileTransactionState state = v1::PROFILE_TRANSACTION_STATE_UNSPECIFIED;
    std::string code;
    std::string description;
  };
  using StateCallback = absl::AnyInvocable<void(absl::StatusOr<State>) &&>;

  // The queued work's id in a delete's response; "" when it was not queued.
  std::function<std::string(google::protobuf::Message const& response)> id_of;
  // Reads the queued work's state from the provider, at the account the
  // delete was sent to ("" = the default).
  std::function<void(CallContext const& context, std::string const& account, std::string const& id,
                     StateCallback done)>
      read;
  // The RPC a caller reads the queued work with ("GetProfileTransaction"),
  // named when a step's outcome stays unknown; "" when there is none.
  std::string read_rpc;
};

template <typename List>
class RpcTables;
template <typename... Rpcs>
class RpcTables<RpcList<Rpcs...>> {
 public:
  template <typename Request>
  auto& table() {
    return std::get<RpcIndex<Request, RpcList<Rpcs...>>::value>(tables_);
  }
  template <typename Request>
  auto const& table() const {
    return std::get<RpcIndex<Request, RpcList<Rpcs...>>::value>(tables_);
  }
  // f(table) for every RPC's table, in the list's order.
  template <typename F>
  void ForEachTable(F&& f) const {
    std::apply([&f](auto const&... table) { (f(table), ...); }, tables_);
  }

 private:
  std::tuple<OperationTable<typename Rpcs::Request, typename Rpcs::Response>...> tables_;
};

struct ProviderRegistry : RpcTables<ProviderRpcs> {
  // Providers (target case names, e.g. "sms_voice") whose delete may be sent
  // again when the outcome of an earlier send is unknown: a repeat changes
  // nothing, and its answer (NOT_FOUND: gone) proves the end state. What an
  // unlink job resumed after a crash relies on; others are never re-sent.
  absl::flat_hash_set<std::string> repeatable_deletes;
  // By provider (target case name): the work its deletes queue.
  absl::flat_hash_map<std::string, FollowUp> follow_ups;
  // By lane (LaneOf: a provider account), when its delete has a rate limit: takes
  // a turn if one is free now, for work that waits in a queue of its own
  // (unlink steps) and so must not wait in the limit — nor record that it
  // is about to send before it has a turn. `done` runs once, on any thread:
  // with zero when the turn was taken (the delete then runs with
  // CallContext::turn_taken), else how long until the next turn is free
  // (nothing taken).
  using TakeTurn = std::function<void(absl::AnyInvocable<void(absl::Duration) &&> done)>;
  absl::flat_hash_map<std::string, TakeTurn> delete_turns;
};

// The queue an unlink step for `provider`'s `account` waits in, and the key
// of its delete's turns: "sms_voice/eu", or the provider alone when it has no
// accounts.
inline std::string LaneOf(absl::string_view provider, absl::string_view account) {
  return account.empty() ? std::string(provider) : absl::StrCat(provider, "/", account);
}

// Per provider (the name of the request oneof's field, e.g. "sms_voice"): OK
// when every operation it serves, in every account, passes Preflight()
// (configured, credentials there and not rejected), else the first failure;
// and, for a provider with several accounts, per account ("sms_voice.eu"),
// the same for that account alone (its failures then name the account).
// For health checks.
std::map<std::string, absl::Status> ProviderReadiness(ProviderRegistry const& registry);

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_PROVIDER_REGISTRY_H_
