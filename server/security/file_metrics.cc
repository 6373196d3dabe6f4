#include "server/security/file_metrics.h"

#include <memory>
#include <string>

namespace linkgateway::server::security {
namespace {

void AddGauge(observability::metrics::Registry& registry, std::string name, std::string help,
              std::shared_ptr<std::atomic<bool> const> usable) {
  registry.AddCallbackGauge(std::move(name), std::move(help),
                            [usable] { return usable->load() ? 1.0 : 0.0; });
}

}  // namespace

void ExportSecurityFileMetrics(observability::metrics::Registry& registry, TokenFile const* tokens,
                               PolicyFile const* policy) {
  if (tokens != nullptr) {
    AddGauge(registry, "linkgateway_token_file_usable",
             "1 while the token file in force is the file on disk; 0 while it cannot be used "
             "(missing, unparsable, writable by others): no bearer token is valid then.",
             tokens->usable());
  }
  if (policy != nullptr) {
    AddGauge(registry, "linkgateway_policy_file_usable",
             "1 while the policy in force is the file on disk; 0 while it cannot be used "
             "(missing, unparsable, writable by others): every call is denied then.",
             policy->usable());
  }
}

}  // namespace linkgateway::server::security
