#include "adapters/auth/aws_credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace linkgateway::adapters::auth {
namespace {

class EnvironmentProvider : public AwsCredentialsProvider {
 public:
  absl::StatusOr<AwsCredentials> Get() override {
    char const* id = std::getenv("AWS_ACCESS_KEY_ID");
    char const* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    char const* token = std::getenv("AWS_SESSION_TOKEN");
    if (id == nullptr || *id == '\0' || secret == nullptr || *secret == '\0') {
      return absl::FailedPreconditionError(
          "AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    return AwsCredentials{id, secret, token != nullptr ? token : ""};
  }
};

class FileProvider : public AwsCredentialsProvider {
 public:
  FileProvider(std::string path, std::string profile)
      : path_(std::move(path)), profile_(std::move(profile)) {}

  absl::StatusOr<AwsCredentials> Get() override {
    struct stat info {};
    if (stat(path_.c_str(), &info) != 0) {
      return absl::FailedPreconditionError(absl::StrCat("AWS credentials: cannot read ", path_));
    }
    absl::MutexLock lock(&mu_);
    if (!cached_.ok() || info.st_mtim.tv_sec != mtime_.tv_sec ||
        info.st_mtim.tv_nsec != mtime_.tv_nsec || info.st_size != size_) {
      std::ifstream in(path_);
      std::stringstream text;
      text << in.rdbuf();
      cached_ = ParseAwsCredentialsFile(text.str(), profile_);
      if (!cached_.ok()) {
        cached_ = absl::FailedPreconditionError(
            absl::StrCat("AWS credentials file ", path_, ": ", cached_.status().message()));
      }
      mtime_ = info.st_mtim;
      size_ = info.st_size;
    }
    return cached_;
  }

 private:
  std::string const path_;
  std::string const profile_;
  absl::Mutex mu_;
  absl::StatusOr<AwsCredentials> cached_ ABSL_GUARDED_BY(mu_) = absl::UnknownError("unread");
  timespec mtime_ ABSL_GUARDED_BY(mu_) = {};
  off_t size_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace

absl::StatusOr<AwsCredentials> ParseAwsCredentialsFile(std::string const& contents,
                                                       std::string const& profile) {
  AwsCredentials credentials;
  bool in_profile = false;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view key = absl::StripAsciiWhitespace(kv.first);
    std::string value(absl::StripAsciiWhitespace(kv.second));
    if (key == "aws_access_key_id") credentials.access_key_id = value;
    if (key == "aws_secret_access_key") credentials.secret_access_key = value;
    if (key == "aws_session_token") credentials.session_token = value;
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no profile [", profile, "]"));
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("profile [", profile, "] needs aws_access_key_id and aws_secret_access_key"));
  }
  return credentials;
}

std::unique_ptr<AwsCredentialsProvider> MakeEnvironmentAwsCredentials() {
  return std::make_unique<EnvironmentProvider>();
}

std::unique_ptr<AwsCredentialsProvider> MakeFileAwsCredentials(std::string path,
                                                               std::string profile) {
  return std::make_unique<FileProvider>(std::move(path), std::move(profile));
}

}  // namespace linkgateway::adapters::auth
