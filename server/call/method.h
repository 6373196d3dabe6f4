// What one RPC does within the pipeline (pipeline.h): the checks that are
// its own, what the policy is asked, its dry run and its work. Every method
// the gateway serves is one of these, in the MethodSet the services are
// built from; an unlink step runs the delete method it stands for.
#ifndef LINKGATEWAY_SERVER_CALL_METHOD_H_
#define LINKGATEWAY_SERVER_CALL_METHOD_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "server/call/call.h"

namespace linkgateway::server::call {

// A permission a call needs: to call `method` ("/package.Service/Method")
// for `provider` ("" = for none in particular), in its account `account`
// (the default resolved; "" = none). A refusal names `field` (e.g.
// "targets[2]") when the permission is for a part of the request.
struct Access {
  std::string method;
  std::string provider;
  std::string field;
  std::string account;
};

// Where a streaming method's messages go.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // One message (any thread); `last`: the stream ends OK after it.
  virtual void Write(google::protobuf::Message const& message, bool last) = 0;
};

class Method {
 public:
  using Response = std::shared_ptr<google::protobuf::Message>;
  using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

  virtual ~Method() = default;

  // "/package.Service/Method".
  virtual std::string const& path() const = 0;
  virtual google::protobuf::Message const& request_prototype() const = 0;
  virtual google::protobuf::Message const& response_prototype() const = 0;
  // Every outcome of every call leaves one audit record, on disk before the
  // answer: the methods that change something at a provider or in a job.
  virtual bool audited() const = 0;
  // The pipeline keeps the outcome of a call with a request_id and answers
  // a repeat from it (AIP-155); false when the method keeps its own (or has
  // no request_id).
  virtual bool keeps_request_ids() const { return false; }
  // Server streaming: Open instead of Run.
  virtual bool streaming() const { return false; }

  // Checks naming what the call is for, made before permission is asked:
  // INVALID_ARGUMENT naming the field and the rule.
  virtual absl::Status CheckTarget(google::protobuf::Message const&) const {
    return absl::OkStatus();
  }
  // What the policy is asked; all must be allowed. A call with one Access
  // is for its account (the audit record's).
  virtual std::vector<Access> Accesses(google::protobuf::Message const&) const {
    return {{path(), "", "", ""}};
  }
  // The account the call is for, when the gateway serves it: the metrics'
  // label. "" when the call names an account the gateway does not have (a
  // caller cannot fill the metrics with names of its own), or is for none
  // or several.
  virtual std::string ServedAccount(google::protobuf::Message const&) const { return ""; }
  // Every other check before anything is done: the fields' rules, and that
  // a provider serves the call.
  virtual absl::Status Check(google::protobuf::Message const&) const { return absl::OkStatus(); }
  // The answer to a dry run (validate_only), after Check: what a real call
  // would find without doing anything (the provider configured...).
  virtual absl::StatusOr<Response> DryRun(Call const&, google::protobuf::Message const&) const {
    return absl::UnimplementedError(absl::StrCat(path(), " has no dry run"));
  }
  // The work; `done` runs once, on any thread.
  virtual void Run(std::shared_ptr<Call> call,
                   std::shared_ptr<google::protobuf::Message const> request, Done done) const = 0;

  // Streaming methods: starts sending to `sink` (the first message as soon
  // as there is one); `opened` gets what stops the stream early (the caller
  // went away), or the refusal.
  using Stop = absl::AnyInvocable<void() &&>;
  virtual void Open(Call const&, google::protobuf::Message const&, std::shared_ptr<StreamSink>,
                    absl::AnyInvocable<void(absl::StatusOr<Stop>) &&> opened) const {
    std::move(opened)(absl::UnimplementedError(absl::StrCat(path(), " does not stream")));
  }
};

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_METHOD_H_
