// A secret named by a SecretRef, as it is now. A file's secret is re-read
// when the file changes (Kubernetes rotates a mounted secret by swapping the
// volume's `..data` symlink): its path is looked at (stat) each time the
// value is asked for, so each user takes the current value when it uses it.
//
// A file that becomes missing, unreadable, empty or otherwise unusable keeps
// the last good value; the change is logged once (naming the key and the
// file, never the value). An environment variable's secret never changes.
//
// Not server/security's WatchedFile: adapters sit below it, and secret files
// were never held to its ownership rules; both share config/file_version.h.
#ifndef LINKGATEWAY_CONFIG_ROTATING_SECRET_H_
#define LINKGATEWAY_CONFIG_ROTATING_SECRET_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "linkgateway/config/v1/gateway_config.pb.h"

namespace linkgateway::config {

class RotatingSecret {
 public:
  // A value that never changes (no secret when empty); implicit, so options
  // structs keep taking a plain string from tests.
  RotatingSecret(std::string value = "")  // NOLINT(google-explicit-constructor)
      : fixed_(std::move(value)) {}
  RotatingSecret(char const* value)  // NOLINT(google-explicit-constructor)
      : fixed_(value) {}

  // Resolves `ref` now, as ResolveSecret does (which must succeed, errors
  // name `key`); a file's secret is then re-read when the file changes.
  static absl::StatusOr<RotatingSecret> Load(v1::SecretRef const& ref, std::string key);

  // The current value.
  std::string value() const;

 private:
  class Watched;
  std::string fixed_;
  std::shared_ptr<Watched> watched_;
};

}  // namespace linkgateway::config

#endif  // LINKGATEWAY_CONFIG_ROTATING_SECRET_H_
