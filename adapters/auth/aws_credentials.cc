#include "adapters/auth/aws_credentials.h"

#include <string>

#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"

namespace linkgateway::adapters::auth {

absl::StatusOr<absl::Time> ParseAwsTimestamp(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!text.empty() && absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  return absl::InvalidArgumentError("not an RFC 3339 timestamp");
}

absl::Status AwsCredentialsMissing(absl::string_view message) {
  absl::Status status = adapters::errors::WithErrorInfo(
      absl::FailedPreconditionError(message), adapters::errors::reason::kGatewayCredentialsMissing,
      adapters::errors::kGatewayDomain);
  adapters::errors::MarkNotSent(status);
  return status;
}

}  // namespace linkgateway::adapters::auth
