#include "server/unlink/unlink_plan.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/errors/status_details.h"
#include "adapters/operation/rpcs.h"
#include "linkgateway/v1/annotations.pb.h"
#include "server/idempotency/records.h"
#include "server/methods/provider_methods.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::unlink {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The API's deletes (the provider RPCs whose request has validate_only),
// each with a `target` oneof of provider keys.
std::vector<Message const*> DeleteRequests() {
  std::vector<Message const*> deletes;
  adapters::operation::ProviderRpcs::ForEach([&deletes](auto rpc) {
    using Request = typename decltype(rpc)::Request;
    if (request::IsDestructive(*Request::descriptor())) {
      deletes.push_back(&Request::default_instance());
    }
  });
  return deletes;
}

void ClearSensitive(Message& key) {
  auto const* reflection = key.GetReflection();
  std::vector<FieldDescriptor const*> fields;
  reflection->ListFields(key, &fields);
  for (auto const* f : fields) {
    if (f->options().GetExtension(v1::sensitive)) reflection->ClearField(&key, f);
  }
}

FieldDescriptor const* SetTarget(v1::UnlinkTarget const& target) {
  auto const* oneof = v1::UnlinkTarget::descriptor()->FindOneofByName("target");
  return target.GetReflection()->GetOneofFieldDescriptor(target, oneof);
}

}  // namespace

absl::StatusOr<SingleDelete> SingleDeleteFor(v1::UnlinkTarget const& target) {
  auto const* field = SetTarget(target);
  if (field == nullptr) {
    return adapters::errors::InvalidArgument("UnlinkTarget",
                                             {{"target", "exactly one target must be set"}});
  }
  for (Message const* prototype : DeleteRequests()) {
    auto const* oneof = prototype->GetDescriptor()->FindOneofByName("target");
    for (int i = 0; oneof != nullptr && i < oneof->field_count(); ++i) {
      auto const* candidate = oneof->field(i);
      if (candidate->message_type() != field->message_type()) continue;
      SingleDelete single;
      single.method = methods::PathOf(prototype->GetDescriptor());
      single.provider = candidate->name();
      single.target_field = field->name();
      single.request.reset(prototype->New());
      single.request->GetReflection()
          ->MutableMessage(single.request.get(), candidate)
          ->CopyFrom(target.GetReflection()->GetMessage(target, field));
      return single;
    }
  }
  return absl::UnimplementedError(
      absl::StrCat("no delete RPC takes the key of target ", field->name()));
}

v1::UnlinkTarget Redacted(v1::UnlinkTarget const& target) {
  v1::UnlinkTarget copy = target;
  if (auto const* field = SetTarget(copy)) {
    ClearSensitive(*copy.GetReflection()->MutableMessage(&copy, field));
  }
  return copy;
}

bool HoldsSecrets(v1::UnlinkTarget const& target) {
  return Redacted(target).SerializeAsString() != target.SerializeAsString();
}

bool NeedsSecrets(v1::UnlinkTarget const& target) {
  auto const* field = SetTarget(target);
  if (field == nullptr || field->message_type() == nullptr) return false;
  auto const* key = field->message_type();
  for (int i = 0; i < key->field_count(); ++i) {
    if (key->field(i)->options().GetExtension(v1::sensitive)) return true;
  }
  return false;
}

absl::Status ValidateStart(v1::StartUnlinkRequest const& request) {
  std::vector<adapters::errors::FieldViolation> violations;
  if (request.targets().empty()) {
    violations.push_back({"targets", "at least one target is required"});
  } else if (request.targets_size() > kMaxTargets) {
    violations.push_back({"targets", absl::StrCat("at most ", kMaxTargets, " targets per job")});
  }
  if (request.priority() < 0 || request.priority() > 9) {
    violations.push_back({"priority", "must be 0 to 9"});
  }
  std::set<std::string> seen;
  for (int i = 0; i < request.targets_size() && i < kMaxTargets; ++i) {
    auto const& target = request.targets(i);
    std::string name = absl::StrCat("targets[", i, "]");
    if (SetTarget(target) == nullptr) {
      violations.push_back({name, "exactly one target must be set"});
      continue;
    }
    // The same link twice (its key without credentials) would be deleted
    // twice.
    if (!seen.insert(Redacted(target).SerializeAsString()).second) {
      violations.push_back({name, "names a target already in the list; each at most once"});
    }
  }
  if (!violations.empty())
    return adapters::errors::InvalidArgument("StartUnlinkRequest", violations);
  return absl::OkStatus();
}

std::string FingerprintOf(v1::StartUnlinkRequest const& request) {
  v1::StartUnlinkRequest copy = request;
  for (auto& target : *copy.mutable_targets()) target = Redacted(target);
  return server::idempotency::FingerprintOf(copy);
}

}  // namespace linkgateway::server::unlink
