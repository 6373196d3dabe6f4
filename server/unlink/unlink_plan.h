// A start request as the single deletes its steps stand for. Everything here
// is found by reflection over the API's descriptors: an UnlinkTarget field's
// key message is the one a Delete*Request's `target` field takes, so a new
// provider's target needs no code here.
#ifndef LINKGATEWAY_SERVER_UNLINK_UNLINK_PLAN_H_
#define LINKGATEWAY_SERVER_UNLINK_UNLINK_PLAN_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "linkgateway/v1/unlink.pb.h"

namespace linkgateway::server::unlink {

// Most targets one job may hold.
inline constexpr int kMaxTargets = 100;

struct SingleDelete {
  // The RPC the step stands for, e.g.
  // "/linkgateway.v1.RegistrationService/DeleteRegistration": what the
  // policy is asked and the audit record names.
  std::string method;
  // The request's target case name, e.g. "sms_voice".
  std::string provider;
  // The UnlinkTarget field it comes from, e.g. "sms_voice_registration".
  std::string target_field;
  // A Delete*Request with its target set (validate_only and request_id not).
  std::unique_ptr<google::protobuf::Message> request;
};

// The single delete `target` stands for; INVALID_ARGUMENT when no target is
// set, UNIMPLEMENTED when no delete RPC takes its key.
absl::StatusOr<SingleDelete> SingleDeleteFor(v1::UnlinkTarget const& target);

// `target` without the fields marked (linkgateway.v1.sensitive).
v1::UnlinkTarget Redacted(v1::UnlinkTarget const& target);

// Whether `target` holds a sensitive value (kept in memory only).
bool HoldsSecrets(v1::UnlinkTarget const& target);

// Whether `target`'s key has a sensitive field (e.g. an access token).
bool NeedsSecrets(v1::UnlinkTarget const& target);

// The request's own rules: 1-kMaxTargets targets, each set and at most once.
// INVALID_ARGUMENT naming the field (targets[i]).
absl::Status ValidateStart(v1::StartUnlinkRequest const& request);

// Hex SHA-256 of the targets (redacted) and validate_only: a repeated start
// with the same request_id must carry the same.
std::string FingerprintOf(v1::StartUnlinkRequest const& request);

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_UNLINK_PLAN_H_
