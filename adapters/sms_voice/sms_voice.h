// AWS End User Messaging SMS and Voice v2: DeleteRegistration over the AWS
// JSON 1.0 protocol (POST /, X-Amz-Target), signed with SigV4 for the
// "sms-voice" service.
#ifndef LINKGATEWAY_ADAPTERS_SMS_VOICE_SMS_VOICE_H_
#define LINKGATEWAY_ADAPTERS_SMS_VOICE_SMS_VOICE_H_

#include <optional>
#include <string>
#include <utility>

#include "adapters/auth/aws_credentials.h"
#include "adapters/operation/operation.h"
#include "adapters/transport/http.h"
#include "google/protobuf/timestamp.pb.h"
#include "linkgateway/v1/registrations.pb.h"

namespace linkgateway::adapters::sms_voice {

// The AWS error name from an error response: the X-Amzn-ErrorType header or
// the body's __type or code, without a "namespace#" prefix or ":..." suffix.
std::string AwsErrorName(adapters::transport::HttpResponse const& response);

// Epoch seconds (possibly fractional, as AWS JSON sends timestamps) to a
// Timestamp without binary rounding: 1700000000.123 -> ...:20.123Z.
google::protobuf::Timestamp EpochSecondsToTimestamp(double value);

// Parses a DeleteRegistrationResult (unknown members ignored, unknown status
// values kept by name).
absl::StatusOr<v1::SmsVoiceRegistration> ParseRegistration(absl::string_view json);

// One attempt of DeleteRegistration.
class DeleteRegistration final
    : public adapters::operation::Operation<v1::DeleteRegistrationRequest,
                                            v1::DeleteRegistrationResponse> {
 public:
  DeleteRegistration(std::string endpoint, std::string region,
                     adapters::transport::HttpTransport& transport,
                     adapters::auth::AwsCredentialsProvider& credentials)
      : endpoint_(std::move(endpoint)),
        region_(std::move(region)),
        transport_(transport),
        credentials_(credentials) {}

  void Start(adapters::operation::CallContext const& context,
             v1::DeleteRegistrationRequest const& request,
             adapters::operation::Callback<v1::DeleteRegistrationResponse> done) override;

  // The gateway's AWS credentials are there (or their source is configured).
  absl::Status Preflight() const override;

  // After an attempt that may have succeeded, ResourceNotFoundException means
  // it did.
  static std::optional<absl::StatusOr<v1::DeleteRegistrationResponse>> AlreadyDone(
      absl::Status const& status);

 private:
  // Signs and sends one attempt with `credentials`.
  void Send(adapters::operation::CallContext const& context, std::string const& registration_id,
            adapters::auth::AwsCredentials const& credentials,
            adapters::operation::Callback<v1::DeleteRegistrationResponse> done);

  std::string const endpoint_;
  std::string const region_;
  adapters::transport::HttpTransport& transport_;
  adapters::auth::AwsCredentialsProvider& credentials_;
};

}  // namespace linkgateway::adapters::sms_voice

#endif  // LINKGATEWAY_ADAPTERS_SMS_VOICE_SMS_VOICE_H_
