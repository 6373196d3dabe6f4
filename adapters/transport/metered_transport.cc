#include "adapters/transport/metered_transport.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::adapters::transport {

std::string FailureKind(absl::Status const& failure) {
  google::rpc::ErrorInfo info;
  if (!adapters::errors::FindDetail(failure, info) || info.reason().empty()) return "other";
  absl::string_view reason = info.reason();
  absl::ConsumePrefix(&reason, "UPSTREAM_");
  return absl::AsciiStrToLower(reason);
}

void MeteredTransport::Send(HttpRequest request,
                            std::shared_ptr<adapters::async::Cancellation> cancellation,
                            Done<HttpResponse> done) {
  absl::Time start = absl::Now();
  inner_.Send(std::move(request), std::move(cancellation),
              [observer = &observer_, start,
               done = std::move(done)](absl::StatusOr<HttpResponse> response) mutable {
                absl::Duration latency = absl::Now() - start;
                if (response.ok()) {
                  observer->Answered(response->status, latency);
                } else {
                  observer->Failed(FailureKind(response.status()), latency);
                }
                std::move(done)(std::move(response));
              });
}

}  // namespace linkgateway::adapters::transport
