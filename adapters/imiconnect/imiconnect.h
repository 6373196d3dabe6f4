// IMIconnect (Webex Connect) Profile API v2: delete a customer's device app
// profile (queued; irreversible), and read a profile transaction's status.
// Authenticated by the tenant's profile key in the `key` header.
#ifndef LINKGATEWAY_ADAPTERS_IMICONNECT_IMICONNECT_H_
#define LINKGATEWAY_ADAPTERS_IMICONNECT_IMICONNECT_H_

#include <string>
#include <utility>
#include <vector>

#include "adapters/operation/operation.h"
#include "adapters/transport/http.h"
#include "config/rotating_secret.h"
#include "linkgateway/v1/app_profiles.pb.h"

namespace linkgateway::adapters::imiconnect {

struct Options {
  std::string base_url;     // e.g. https://api.imiconnect.io
  // Never logged; taken anew for each request, so a rotated key file is
  // used from the next request on.
  config::RotatingSecret profile_key;
};

// Both documented answer shapes, reduced to what the gateway needs:
// {"response":{"code","description","transid"}} (legacy) and top-level
// code/description/transid/TotalCount/SuccessCount/FailureCount/Results.
struct Envelope {
  std::string code;
  std::string description;
  std::string transaction_id;
  int total_count = 0;
  int success_count = 0;
  int failure_count = 0;
  std::vector<v1::ImiconnectTransactionItem> results;
};
absl::StatusOr<Envelope> ParseEnvelope(absl::string_view body);

// One attempt of DELETE /resources/v2/customerappprofile/{app}/{customer}/{device}.
// The request is sent at most once; business errors are decided by the
// answer's code, not by the HTTP status they ride on.
class DeleteAppProfile final : public adapters::operation::Operation<v1::DeleteAppProfileRequest,
                                                                     v1::DeleteAppProfileResponse> {
 public:
  DeleteAppProfile(Options options, adapters::transport::HttpTransport& transport)
      : options_(std::move(options)), transport_(transport) {}

  void Start(adapters::operation::CallContext const& context,
             v1::DeleteAppProfileRequest const& request,
             adapters::operation::Callback<v1::DeleteAppProfileResponse> done) override;

 private:
  Options const options_;
  adapters::transport::HttpTransport& transport_;
};

// One attempt of GET /resources/v2/profile/status/{transid}. Code 7600 (no
// result: still queued, or unknown) is a state, not an error.
class GetProfileTransaction final
    : public adapters::operation::Operation<v1::GetProfileTransactionRequest,
                                            v1::ProfileTransaction> {
 public:
  GetProfileTransaction(Options options, adapters::transport::HttpTransport& transport)
      : options_(std::move(options)), transport_(transport) {}

  void Start(adapters::operation::CallContext const& context,
             v1::GetProfileTransactionRequest const& request,
             adapters::operation::Callback<v1::ProfileTransaction> done) override;

 private:
  Options const options_;
  adapters::transport::HttpTransport& transport_;
};

}  // namespace linkgateway::adapters::imiconnect

#endif  // LINKGATEWAY_ADAPTERS_IMICONNECT_IMICONNECT_H_
