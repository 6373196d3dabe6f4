#include "server/idempotency/idempotency_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace linkgateway::server::idempotency {

std::string IdempotencyKey::String() const {
  return absl::StrCat(method, ":", caller.size(), ":", caller, ":", request_id);
}

bool IsUuid(std::string const& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace linkgateway::server::idempotency
