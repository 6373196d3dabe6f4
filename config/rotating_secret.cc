#include "config/rotating_secret.h"

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "config/file_version.h"
#include "config/secrets.h"
#include "observability/log/log.h"

namespace linkgateway::config {

class RotatingSecret::Watched {
 public:
  Watched(v1::SecretRef ref, std::string key, std::string value, FileVersion version)
      : ref_(std::move(ref)), key_(std::move(key)), value_(std::move(value)), version_(version) {}

  std::string Get() ABSL_LOCKS_EXCLUDED(mu_) {
    FileVersion now = CurrentVersion(ref_.file());
    absl::MutexLock lock(&mu_);
    if (now == version_) return value_;
    // Read under the lock: concurrent users see one change, logged once.
    version_ = now;
    auto read = ResolveSecret(ref_, key_);
    if (!read.ok()) {
      // The message names the key and the file; ResolveSecret never puts
      // the value in it.
      observability::log::Error(read.status().message(), "; keeping the secret's last good value");
      usable_ = false;
      return value_;
    }
    if (*read != value_ || !usable_) {
      observability::log::Info(key_, ": re-read the secret from ", ref_.file());
    }
    usable_ = true;
    value_ = *std::move(read);
    return value_;
  }

 private:
  v1::SecretRef const ref_;
  std::string const key_;
  absl::Mutex mu_;
  std::string value_ ABSL_GUARDED_BY(mu_);
  FileVersion version_ ABSL_GUARDED_BY(mu_);
  bool usable_ ABSL_GUARDED_BY(mu_) = true;
};

absl::StatusOr<RotatingSecret> RotatingSecret::Load(v1::SecretRef const& ref, std::string key) {
  // The version first: a change while reading is seen at the next use.
  FileVersion version;
  if (ref.source_case() == v1::SecretRef::kFile) version = CurrentVersion(ref.file());
  auto value = ResolveSecret(ref, key);
  if (!value.ok()) return value.status();
  if (ref.source_case() != v1::SecretRef::kFile) return RotatingSecret(*std::move(value));
  RotatingSecret secret;
  secret.watched_ = std::make_shared<Watched>(ref, std::move(key), *std::move(value), version);
  return secret;
}

std::string RotatingSecret::value() const { return watched_ != nullptr ? watched_->Get() : fixed_; }

}  // namespace linkgateway::config
