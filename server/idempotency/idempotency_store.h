// Records of deletes that carried a request_id (AIP-155), so a caller's
// retry gets the first call's outcome instead of a second irreversible
// call. Keyed by (caller, method, request_id); the request's fingerprint
// tells a repeat from a different request reusing the id.
#ifndef LINKGATEWAY_SERVER_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
#define LINKGATEWAY_SERVER_IDEMPOTENCY_IDEMPOTENCY_STORE_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "linkgateway/state/v1/idempotency.pb.h"

namespace linkgateway::server::idempotency {

struct IdempotencyKey {
  std::string caller;      // the principal; "" when anonymous
  std::string method;      // "/linkgateway.v1.RegistrationService/DeleteRegistration"
  std::string request_id;  // the caller's UUID
  // Not part of the identity: a second delete of this target changes
  // nothing and its answer proves the end state (the provider is in
  // ProviderRegistry::repeatable_deletes). A store that cannot check the
  // records (unreachable, or lost lately) may then let the call go ahead on
  // this replica's own record instead of refusing it.
  bool repeat_is_harmless = false;
  // One string, unambiguous (lengths before the free-form parts).
  std::string String() const;
};

struct Begun {
  enum class State {
    kStarted,     // first call: go ahead, then Finish or Abandon
    kReplay,      // done before: answer `record`
    kMismatch,    // the id was used for a different request
    kInProgress,  // the first call has not finished
  };
  State state = State::kStarted;
  linkgateway::state::v1::IdempotencyRecord record;
};

using BeginCallback = absl::AnyInvocable<void(absl::StatusOr<Begun>) &&>;

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Claims `key` for a call with `fingerprint`, or says what it holds. The
  // claim lapses at `running_until` (a crashed caller's claim does not block
  // the id for the whole retention). `done` may run on any thread.
  virtual void Begin(IdempotencyKey const& key, std::string const& fingerprint,
                     absl::Time running_until, BeginCallback done) = 0;
  // The call finished: keep `record` (done = true) for `retention`.
  virtual void Finish(IdempotencyKey const& key, linkgateway::state::v1::IdempotencyRecord record,
                      absl::Duration retention) = 0;
  // Nothing reached a provider: forget the claim, a retry may go ahead.
  virtual void Abandon(IdempotencyKey const& key) = 0;
};

// Whether `id` is a UUID (8-4-4-4-12 hex digits), as AIP-155 asks.
bool IsUuid(std::string const& id);

}  // namespace linkgateway::server::idempotency

#endif  // LINKGATEWAY_SERVER_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
