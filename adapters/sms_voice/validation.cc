#include "adapters/sms_voice/validation.h"

#include "adapters/validation/field_checker.h"

namespace linkgateway::adapters::sms_voice {

absl::Status ValidateDeleteRegistration(v1::DeleteRegistrationRequest const& request) {
  adapters::validation::FieldChecker check("sms_voice.");
  check.Pattern("registration_id", request.sms_voice().registration_id(), 256, "_:/-",
                "[A-Za-z0-9_:/-]+");
  return check.Result(request);
}

}  // namespace linkgateway::adapters::sms_voice
