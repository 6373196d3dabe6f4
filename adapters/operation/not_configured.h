// The operation registered for a provider whose configuration lacks what it
// needs (e.g. credentials): every call is FAILED_PRECONDITION naming the
// missing keys, and nothing is sent.
#ifndef LINKGATEWAY_ADAPTERS_OPERATION_NOT_CONFIGURED_H_
#define LINKGATEWAY_ADAPTERS_OPERATION_NOT_CONFIGURED_H_

#include <string>
#include <utility>

#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/operation/operation.h"

namespace linkgateway::adapters::operation {

template <typename Request, typename Response>
class NotConfigured final : public Operation<Request, Response> {
 public:
  explicit NotConfigured(std::string what) : what_(std::move(what)) {}

  void Start(CallContext const&, Request const&, Callback<Response> done) override {
    std::move(done)(Preflight());
  }

  absl::Status Preflight() const override {
    return adapters::errors::WithErrorInfo(absl::FailedPreconditionError(what_),
                                           adapters::errors::reason::kProviderNotConfigured,
                                           adapters::errors::kGatewayDomain);
  }

 private:
  std::string what_;
};

}  // namespace linkgateway::adapters::operation

#endif  // LINKGATEWAY_ADAPTERS_OPERATION_NOT_CONFIGURED_H_
