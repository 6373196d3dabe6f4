#include "adapters/imiconnect/validation.h"

#include "adapters/validation/field_checker.h"

namespace linkgateway::adapters::imiconnect {

absl::Status ValidateDeleteAppProfile(v1::DeleteAppProfileRequest const& request) {
  auto const& key = request.imiconnect();
  adapters::validation::FieldChecker check("imiconnect.");
  check.PathSegment("app_id", key.app_id());
  check.PathSegment("customer_id", key.customer_id());
  check.PathSegment("device_id", key.device_id());
  return check.Result(request);
}

absl::Status ValidateGetProfileTransaction(v1::GetProfileTransactionRequest const& request) {
  adapters::validation::FieldChecker check("imiconnect.");
  // Documented ids are UUIDs.
  check.Pattern("transaction_id", request.imiconnect().transaction_id(), 128, "_-",
                "[A-Za-z0-9_-]+");
  return check.Result(request);
}

}  // namespace linkgateway::adapters::imiconnect
