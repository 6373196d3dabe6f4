// libFuzzer target: request validation, as the server runs it on whatever a
// caller sends — the bytes parsed as each delete request, then the target
// and enum checks every request gets and each provider's own rules.
#include <cstddef>
#include <cstdint>

#include "adapters/dash_replenishment/validation.h"
#include "adapters/imiconnect/validation.h"
#include "adapters/selling_partner/validation.h"
#include "adapters/sms_voice/validation.h"
#include "linkgateway/v1/unlink.pb.h"
#include "server/request/validation.h"
#include "server/unlink/unlink_plan.h"

namespace {

template <typename Request>
bool Parse(uint8_t const* data, size_t size, Request& request) {
  return request.ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size) {
  using namespace linkgateway;  // NOLINT: a fuzz entry point
  v1::DeleteRegistrationRequest registration;
  if (Parse(data, size, registration)) {
    (void)server::request::ValidateTarget(registration);
    (void)server::request::ValidateEnums(registration);
    (void)adapters::sms_voice::ValidateDeleteRegistration(registration);
    (void)adapters::dash_replenishment::ValidateDeregistration(registration);
  }
  v1::DeleteSubscriptionRequest subscription;
  if (Parse(data, size, subscription)) {
    (void)server::request::ValidateEnums(subscription);
    (void)adapters::selling_partner::ValidateDeleteSubscription(subscription);
  }
  v1::DeleteAppProfileRequest profile;
  if (Parse(data, size, profile)) {
    (void)server::request::ValidateEnums(profile);
    (void)adapters::imiconnect::ValidateDeleteAppProfile(profile);
  }
  v1::StartUnlinkRequest unlink;
  if (Parse(data, size, unlink) && server::unlink::ValidateStart(unlink).ok()) {
    for (auto const& target : unlink.targets()) (void)server::unlink::SingleDeleteFor(target);
  }
  return 0;
}
