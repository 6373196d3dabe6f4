// One call as the pipeline sees it, whoever made it: a caller over gRPC, or
// an unlink step acting for the caller who started its job.
#ifndef LINKGATEWAY_SERVER_CALL_CALL_H_
#define LINKGATEWAY_SERVER_CALL_CALL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/async/cancellation.h"
#include "adapters/transport/http.h"
#include "server/audit/audit_record.h"

namespace linkgateway::server::call {

struct Call {
  // The method ("/package.Service/Method"), the caller (once proven), when
  // the call started and what its records say of it.
  audit::CallFacts facts;
  // Whether the caller proved who it is: a call that did not is refused
  // before anything else is looked at.
  absl::Status authenticated;
  // The whole call, retries included, must end by then.
  absl::Time deadline = absl::InfiniteFuture();
  // Cancelled when the caller goes away (or the gateway stops).
  std::shared_ptr<adapters::async::Cancellation> cancellation =
      std::make_shared<adapters::async::Cancellation>();
  // What went upstream.
  std::shared_ptr<adapters::transport::UpstreamTrace> trace =
      std::make_shared<adapters::transport::UpstreamTrace>();
  // How long the call may wait for a turn in its provider's rate limit
  // (adapters::operation::CallContext::max_queue_wait).
  absl::Duration max_queue_wait = absl::InfiniteDuration();
  // Its rate limit's turn, already taken (adapters::operation::CallContext::turn_taken).
  std::shared_ptr<std::atomic<bool>> turn_taken = nullptr;
  // Method::ServedAccount, once the target is known to be well formed: the
  // metrics' account label.
  std::string served_account;
  // The unlink job (and step; -1: the job's start) the call belongs to, for
  // its audit record; "" when none.
  std::string unlink_operation;
  int unlink_step = -1;
  // Runs when every check passed, just before the work starts (an unlink
  // step records its intent there); a refusal ends the call with it, nothing
  // sent. May be empty.
  std::function<void(absl::AnyInvocable<void(absl::Status) &&>)> before_run;
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_CALL_H_
