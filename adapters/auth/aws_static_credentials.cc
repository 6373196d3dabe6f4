#include "adapters/auth/aws_static_credentials.h"

#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/auth/aws_credential_chain.h"
#include "adapters/auth/aws_profile_files.h"
#include "adapters/auth/watched_file.h"

namespace linkgateway::adapters::auth {
namespace {

class EnvironmentProvider final : public AwsCredentialsProvider {
 public:
  void Get(absl::Time, std::shared_ptr<adapters::async::Cancellation>,
           adapters::transport::Done<AwsCredentials> done) override {
    std::move(done)(Keys());
  }
  absl::Status Ready() override { return Keys().status(); }

 private:
  static absl::StatusOr<AwsCredentials> Keys() {
    auto keys = EnvironmentKeys(ProcessEnvironment(), absl::Now());
    if (!keys.ok()) return keys.status();
    if (!*keys) {
      return AwsCredentialsMissing(
          "AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    return **keys;
  }
};

class FileProvider final : public AwsCredentialsProvider {
 public:
  FileProvider(std::string path, std::string profile)
      : file_(std::move(path)), profile_(std::move(profile)) {}

  void Get(absl::Time, std::shared_ptr<adapters::async::Cancellation>,
           adapters::transport::Done<AwsCredentials> done) override {
    std::move(done)(Keys());
  }
  absl::Status Ready() override { return Keys().status(); }

 private:
  absl::StatusOr<AwsCredentials> Keys() ABSL_LOCKS_EXCLUDED(mu_) {
    auto contents = file_.Read();
    if (!contents.ok()) {
      return AwsCredentialsMissing(
          absl::StrCat("AWS credentials file: ", contents.status().message()));
    }
    absl::MutexLock lock(&mu_);
    if (generation_ != contents->generation) {
      generation_ = contents->generation;
      parsed_ = ParseAwsCredentialsFile(contents->text, profile_);
      if (!parsed_.ok()) {
        parsed_ = AwsCredentialsMissing(
            absl::StrCat("AWS credentials file ", file_.path(), ": ", parsed_.status().message()));
      }
    }
    return parsed_;
  }

  WatchedFile file_;
  std::string const profile_;
  absl::Mutex mu_;
  std::uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::StatusOr<AwsCredentials> parsed_ ABSL_GUARDED_BY(mu_) = absl::UnknownError("unread");
};

}  // namespace

absl::StatusOr<AwsCredentials> ParseAwsCredentialsFile(std::string const& contents,
                                                       std::string const& profile) {
  auto sections = ParseIniSections(contents);
  if (!sections.ok()) return sections.status();
  auto it = sections->find(profile);
  if (it == sections->end()) return absl::NotFoundError(absl::StrCat("no profile [", profile, "]"));
  auto keys = StaticKeysOf(it->second, absl::StrCat("profile [", profile, "]"));
  if (!keys.ok()) return keys.status();
  if (!*keys) {
    return absl::FailedPreconditionError(
        absl::StrCat("profile [", profile, "] needs aws_access_key_id and aws_secret_access_key"));
  }
  return **keys;
}

std::unique_ptr<AwsCredentialsProvider> MakeEnvironmentAwsCredentials() {
  return std::make_unique<EnvironmentProvider>();
}

std::unique_ptr<AwsCredentialsProvider> MakeFileAwsCredentials(std::string path,
                                                               std::string profile) {
  return std::make_unique<FileProvider>(std::move(path), std::move(profile));
}

}  // namespace linkgateway::adapters::auth
