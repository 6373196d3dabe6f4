// The SMS and Voice v2's error vocabulary: its ErrorInfo domain and the rows
// of the status mapping for its vendor error codes.
#ifndef LINKGATEWAY_ADAPTERS_SMS_VOICE_ERRORS_H_
#define LINKGATEWAY_ADAPTERS_SMS_VOICE_ERRORS_H_

#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::sms_voice {

adapters::errors::ProviderErrors const& Errors();

}  // namespace linkgateway::adapters::sms_voice

#endif  // LINKGATEWAY_ADAPTERS_SMS_VOICE_ERRORS_H_
