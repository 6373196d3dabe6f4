#include "adapters/provider/provider_factory.h"

#include <algorithm>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace linkgateway::adapters::provider {
namespace {

struct Factories {
  absl::Mutex mu;
  std::vector<std::unique_ptr<ProviderFactory>> all ABSL_GUARDED_BY(mu);
};

Factories& Registered() {
  // Never destroyed: factories may be looked up during static destruction.
  static Factories* const factories = new Factories();
  return *factories;
}

}  // namespace

bool RegisterProviderFactory(std::unique_ptr<ProviderFactory> factory) {
  Factories& factories = Registered();
  absl::MutexLock lock(&factories.mu);
  factories.all.push_back(std::move(factory));
  return true;
}

std::vector<ProviderFactory const*> ProviderFactories() {
  Factories& factories = Registered();
  absl::MutexLock lock(&factories.mu);
  std::vector<ProviderFactory const*> result;
  for (auto const& factory : factories.all) result.push_back(factory.get());
  std::sort(result.begin(), result.end(),
            [](auto const* a, auto const* b) { return a->name() < b->name(); });
  return result;
}

}  // namespace linkgateway::adapters::provider
