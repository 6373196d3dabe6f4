// SMS and Voice v2's request rules (the API's field comments, from the
// service model's RegistrationIdOrArn), checked before anything is sent.
#ifndef LINKGATEWAY_ADAPTERS_SMS_VOICE_VALIDATION_H_
#define LINKGATEWAY_ADAPTERS_SMS_VOICE_VALIDATION_H_

#include "absl/status/status.h"
#include "linkgateway/v1/registrations.pb.h"

namespace linkgateway::adapters::sms_voice {

absl::Status ValidateDeleteRegistration(v1::DeleteRegistrationRequest const& request);

}  // namespace linkgateway::adapters::sms_voice

#endif  // LINKGATEWAY_ADAPTERS_SMS_VOICE_VALIDATION_H_
