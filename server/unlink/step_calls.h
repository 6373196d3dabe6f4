// A step's calls through the same operation tables the single RPCs use (so
// the same adapters, retries, rate limits and validation apply): the delete
// it stands for, and for a queued delete, the read of the queued work.
#ifndef LINKGATEWAY_SERVER_UNLINK_STEP_CALLS_H_
#define LINKGATEWAY_SERVER_UNLINK_STEP_CALLS_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "adapters/operation/operation.h"
#include "adapters/operation/provider_registry.h"
#include "google/protobuf/message.h"
#include "linkgateway/v1/app_profiles.pb.h"

namespace linkgateway::server::unlink {

struct CallAnswer {
  absl::Status status;
  // The response when `status` is OK.
  std::shared_ptr<google::protobuf::Message> response;
};
using AnswerCallback = absl::AnyInvocable<void(CallAnswer) &&>;

// What a dry run checks: the request's target and enums, its provider's
// rules, and that the provider is served and configured. OK or the error
// the single RPC would answer.
absl::Status CheckDelete(adapters::operation::ProviderRegistry const& providers,
                         google::protobuf::Message const& request);

// Starts the delete in `request` (a Delete*Request); `done` runs once, on
// any thread.
void StartDelete(adapters::operation::ProviderRegistry const& providers,
                 std::shared_ptr<google::protobuf::Message const> request,
                 adapters::operation::CallContext const& context, AnswerCallback done);

// A queued delete's transaction, from its response: the result case (e.g.
// "imiconnect") and its transaction_id; empty id when the delete is not
// queued.
struct QueuedWork {
  std::string result_case;
  std::string transaction_id;
};
QueuedWork QueuedWorkOf(google::protobuf::Message const& response);

// The queued work's state as its provider reports it.
struct QueuedState {
  v1::ProfileTransactionState state = v1::PROFILE_TRANSACTION_STATE_UNSPECIFIED;
  std::string code;
  std::string description;
};
void ReadQueuedWork(adapters::operation::ProviderRegistry const& providers, QueuedWork const& work,
                    adapters::operation::CallContext const& context,
                    absl::AnyInvocable<void(absl::StatusOr<QueuedState>) &&> done);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_STEP_CALLS_H_
