#include "server/validation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/errors/status_details.h"
#include "google/protobuf/descriptor.h"

namespace linkgateway::server {

absl::Status ValidateTarget(google::protobuf::Message const& request) {
  auto const* descriptor = request.GetDescriptor();
  auto const* target = descriptor->FindOneofByName("target");
  if (target == nullptr || request.GetReflection()->HasOneof(request, target)) {
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (int i = 0; i < target->field_count(); ++i) names.push_back(target->field(i)->name());
  return core::InvalidArgument(
      descriptor->name(),
      {{"target", absl::StrCat("exactly one of ", absl::StrJoin(names, ", "), " must be set")}});
}

}  // namespace linkgateway::server
