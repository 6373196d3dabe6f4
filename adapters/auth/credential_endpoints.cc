#include "adapters/auth/credential_endpoints.h"

#include <curl/curl.h>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/errors/reasons.h"
#include "adapters/transport/json.h"
#include "adapters/transport/url.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::adapters::auth {
namespace {

constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kRolesPath[] = "/latest/meta-data/iam/security-credentials/";

absl::Status NotSent(absl::Status status) {
  adapters::errors::MarkNotSent(status);
  return status;
}

bool IsLoopback(std::string const& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8, as a dotted quad.
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (auto part : parts) {
    int n = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &n) || n > 255) return false;
  }
  return true;
}

// One GET or PUT to an endpoint, retried as the SDKs retry: after a
// transport failure or a status `retry_on` accepts, while attempts and the
// deadline last. `done` gets the last response or transport error.
struct Attempts : std::enable_shared_from_this<Attempts> {
  adapters::transport::HttpRequest request;
  adapters::transport::HttpTransport* transport = nullptr;
  adapters::async::Scheduler* clock = nullptr;
  absl::Time deadline;
  absl::Duration timeout;
  absl::Duration delay;
  int left = 1;
  std::function<bool(adapters::transport::HttpResponse const&)> retry_on;
  adapters::transport::Done<adapters::transport::HttpResponse> done;

  void Start() {
    adapters::transport::HttpRequest copy = request;
    copy.deadline = std::min(deadline, clock->Now() + timeout);
    copy.credential_endpoint = true;
    --left;
    transport->Send(
        std::move(copy), nullptr,
        [self = shared_from_this()](absl::StatusOr<adapters::transport::HttpResponse> response) {
          self->OnResponse(std::move(response));
        });
  }

  void OnResponse(absl::StatusOr<adapters::transport::HttpResponse> response) {
    bool again = !response.ok() || retry_on(*response);
    absl::Time next = clock->Now() + delay;
    if (again && left > 0 && next < deadline) {
      clock->RunAt(next, [self = shared_from_this()] { self->Start(); });
      return;
    }
    std::move(done)(std::move(response));
  }
};

void Send(adapters::transport::HttpRequest request, adapters::transport::HttpTransport& transport,
          adapters::async::Scheduler& clock, absl::Time deadline, absl::Duration timeout,
          int attempts, absl::Duration delay,
          std::function<bool(adapters::transport::HttpResponse const&)> retry_on,
          adapters::transport::Done<adapters::transport::HttpResponse> done) {
  auto state = std::make_shared<Attempts>();
  state->request = std::move(request);
  state->transport = &transport;
  state->clock = &clock;
  state->deadline = deadline;
  state->timeout = timeout;
  state->delay = delay;
  state->left = std::max(1, attempts);
  state->retry_on = std::move(retry_on);
  state->done = std::move(done);
  state->Start();
}

// A non-200 answer: its status, and the JSON error members an ECS agent or
// IMDS may send.
absl::Status HttpError(adapters::errors::ProviderErrors const& errors,
                       adapters::transport::HttpResponse const& response, absl::Time now,
                       absl::string_view what) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(errors, response, now);
  google::protobuf::Struct json;
  if (google::protobuf::util::JsonStringToMessage(response.body, &json).ok()) {
    error.vendor_code = adapters::transport::StringField(json.fields(), "code");
    if (error.vendor_code.empty())
      error.vendor_code = adapters::transport::StringField(json.fields(), "Code");
    error.message = adapters::transport::StringField(json.fields(), "message");
    if (error.message.empty())
      error.message = adapters::transport::StringField(json.fields(), "Message");
  }
  if (error.message.empty()) error.message = adapters::errors::TrimmedText(response.body);
  error.message = absl::StrCat(what, ": ", error.message);
  return adapters::errors::MapUpstreamError(error);
}

bool Not200OrEmpty(adapters::transport::HttpResponse const& r) {
  return r.status != 200 || r.body.empty();
}
bool Not200OrNotJson(adapters::transport::HttpResponse const& r) {
  google::protobuf::Struct json;
  return Not200OrEmpty(r) || !google::protobuf::util::JsonStringToMessage(r.body, &json).ok();
}

// A header value that would end the header line early is refused.
bool IsHeaderValue(absl::string_view value) {
  return value.find_first_of("\r\n") == absl::string_view::npos;
}

}  // namespace

absl::Status CheckContainerCredentialsUrl(std::string const& url) {
  CURLU* parsed = curl_url();
  char* scheme = nullptr;
  char* host = nullptr;
  bool ok = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
            curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  std::string scheme_text = ok ? absl::AsciiStrToLower(scheme) : "";
  std::string host_text = ok ? absl::AsciiStrToLower(host) : "";
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(parsed);
  if (!ok || (scheme_text != "http" && scheme_text != "https")) {
    return AwsCredentialsMissing("the container credentials URL is not an http:// or https:// URL");
  }
  if (scheme_text == "https" || IsLoopback(host_text) || host_text == "169.254.170.2" ||
      host_text == "169.254.170.23" || host_text == "[fd00:ec2::23]") {
    return absl::OkStatus();
  }
  return AwsCredentialsMissing(
      absl::StrCat("the container credentials URL's host ", host_text,
                   " is not allowed over http (only https, a loopback address, 169.254.170.2, "
                   "169.254.170.23 or fd00:ec2::23)"));
}

void FetchContainerCredentials(ContainerCredentialsOptions const& options,
                               adapters::transport::HttpTransport& transport,
                               adapters::async::Scheduler& clock, absl::Time deadline,
                               adapters::transport::Done<AwsCredentials> done) {
  std::string authorization = options.authorization;
  if (options.authorization_file) {
    auto contents = options.authorization_file->Read();
    if (!contents.ok()) {
      return std::move(done)(AwsCredentialsMissing(
          absl::StrCat("the container authorization token file: ", contents.status().message())));
    }
    authorization = contents->text;
  }
  if (!IsHeaderValue(authorization)) {
    return std::move(done)(AwsCredentialsMissing(
        "the container authorization token contains a line break (it must be the token "
        "alone)"));
  }
  adapters::transport::HttpRequest request;
  request.method = "GET";
  request.url = options.url;
  request.headers = {{"Accept", "application/json"}};
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  Send(
      std::move(request), transport, clock, deadline, options.timeout, options.attempts,
      options.retry_delay, &Not200OrNotJson,
      [clock = &clock,
       done = std::move(done)](absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
        adapters::errors::ProviderErrors const& errors = ContainerCredentialsErrors();
        if (!response.ok())
          return std::move(done)(NotSent(adapters::errors::AttributeTo(errors, response.status())));
        if (response->status != 200) {
          return std::move(done)(NotSent(
              HttpError(errors, *response, clock->Now(), "the container credentials endpoint")));
        }
        auto credentials = ParseCredentialsDocument(errors, response->body);
        if (!credentials.ok()) return std::move(done)(NotSent(credentials.status()));
        std::move(done)(std::move(credentials));
      });
}

namespace {

// IMDSv2's three steps, each with the options' attempts.
struct ImdsFetch : std::enable_shared_from_this<ImdsFetch> {
  InstanceMetadataOptions options;
  adapters::transport::HttpTransport* transport = nullptr;
  adapters::async::Scheduler* clock = nullptr;
  absl::Time deadline;
  adapters::transport::Done<AwsCredentials> done;
  std::string token;

  void Finish(absl::StatusOr<AwsCredentials> result) {
    if (!result.ok()) result = NotSent(result.status());
    std::move(done)(std::move(result));
  }

  adapters::transport::HttpRequest Request(std::string method, std::string path) {
    adapters::transport::HttpRequest request;
    request.method = std::move(method);
    request.url = absl::StrCat(absl::StripSuffix(options.endpoint, "/"), path);
    if (!token.empty()) request.headers = {{"x-aws-ec2-metadata-token", token}};
    return request;
  }

  void Step(adapters::transport::HttpRequest request,
            std::function<bool(adapters::transport::HttpResponse const&)> retry_on,
            void (ImdsFetch::*next)(absl::StatusOr<adapters::transport::HttpResponse>)) {
    Send(std::move(request), *transport, *clock, deadline, options.timeout, options.attempts,
         absl::ZeroDuration(), std::move(retry_on),
         [self = shared_from_this(),
          next](absl::StatusOr<adapters::transport::HttpResponse> response) {
           ((*self).*next)(std::move(response));
         });
  }

  void Start() {
    adapters::transport::HttpRequest request = Request("PUT", kTokenPath);
    request.headers = {
        {"x-aws-ec2-metadata-token-ttl-seconds", absl::StrCat(options.token_ttl_seconds)}};
    // 4xx answers are final: IMDSv2 is refused, trying again cannot help.
    Step(
        std::move(request),
        [](adapters::transport::HttpResponse const& r) { return r.status >= 500; },
        &ImdsFetch::OnToken);
  }

  void OnToken(absl::StatusOr<adapters::transport::HttpResponse> response) {
    adapters::errors::ProviderErrors const& errors = InstanceMetadataErrors();
    if (!response.ok()) {
      // Nothing answers: not on EC2, or in a container on EC2 whose
      // instance's metadata hop limit (1 by default) drops the answer.
      return Finish(AwsCredentialsMissing(absl::StrCat(
          "no answer to the IMDSv2 session token request at ", options.endpoint, " (",
          adapters::errors::AttributeTo(errors, response.status()).message(),
          "): not on EC2, or in a container behind the instance's metadata hop limit")));
    }
    if (response->status >= 500) {
      return Finish(HttpError(errors, *response, clock->Now(), "instance metadata"));
    }
    if (response->status != 200 || response->body.empty() || !IsHeaderValue(response->body)) {
      return Finish(AwsCredentialsMissing(
          absl::StrCat("instance metadata refused an IMDSv2 session token (HTTP ", response->status,
                       "); the gateway does not fall back to IMDSv1")));
    }
    token = response->body;
    Step(Request("GET", kRolesPath), &Not200OrEmpty, &ImdsFetch::OnRole);
  }

  void OnRole(absl::StatusOr<adapters::transport::HttpResponse> response) {
    adapters::errors::ProviderErrors const& errors = InstanceMetadataErrors();
    if (!response.ok()) return Finish(adapters::errors::AttributeTo(errors, response.status()));
    if (response->status == 404) {
      return Finish(AwsCredentialsMissing("no IAM role is attached to this EC2 instance"));
    }
    if (response->status != 200) {
      return Finish(HttpError(errors, *response, clock->Now(), "instance metadata"));
    }
    std::string role(absl::StripAsciiWhitespace(
        absl::string_view(response->body).substr(0, response->body.find('\n'))));
    auto path = adapters::transport::JoinPath(kRolesPath, {role});
    if (role.empty() || !path.ok()) {
      return Finish(adapters::errors::MalformedResponse(
          errors, "instance metadata named no usable IAM role"));
    }
    Step(Request("GET", *path), &Not200OrNotJson, &ImdsFetch::OnCredentials);
  }

  void OnCredentials(absl::StatusOr<adapters::transport::HttpResponse> response) {
    adapters::errors::ProviderErrors const& errors = InstanceMetadataErrors();
    if (!response.ok()) return Finish(adapters::errors::AttributeTo(errors, response.status()));
    if (response->status != 200) {
      return Finish(HttpError(errors, *response, clock->Now(), "instance metadata"));
    }
    Finish(ParseCredentialsDocument(errors, response->body));
  }
};

}  // namespace

void FetchInstanceMetadataCredentials(InstanceMetadataOptions const& options,
                                      adapters::transport::HttpTransport& transport,
                                      adapters::async::Scheduler& clock, absl::Time deadline,
                                      adapters::transport::Done<AwsCredentials> done) {
  auto fetch = std::make_shared<ImdsFetch>();
  fetch->options = options;
  fetch->transport = &transport;
  fetch->clock = &clock;
  fetch->deadline = deadline;
  fetch->done = std::move(done);
  fetch->Start();
}

absl::StatusOr<AwsCredentials> ParseCredentialsDocument(
    adapters::errors::ProviderErrors const& errors, absl::string_view json) {
  google::protobuf::Struct document;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &document).ok()) {
    return adapters::errors::MalformedResponse(errors,
                                               "the credentials answer is not a JSON object");
  }
  auto const& fields = document.fields();
  std::string code = adapters::transport::StringField(fields, "Code");
  if (!code.empty() && code != "Success") {
    return adapters::errors::MalformedResponse(
        errors,
        absl::StrCat(
            "the credentials answer says ", adapters::errors::TrimmedText(code), ": ",
            adapters::errors::TrimmedText(adapters::transport::StringField(fields, "Message"))));
  }
  AwsCredentials credentials;
  credentials.access_key_id = adapters::transport::StringField(fields, "AccessKeyId");
  credentials.secret_access_key = adapters::transport::StringField(fields, "SecretAccessKey");
  credentials.session_token = adapters::transport::StringField(fields, "Token");
  auto expiration = ParseAwsTimestamp(adapters::transport::StringField(fields, "Expiration"));
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
      credentials.session_token.empty() || !expiration.ok()) {
    return adapters::errors::MalformedResponse(
        errors,
        "the credentials answer lacks AccessKeyId, SecretAccessKey, Token "
        "or a valid Expiration");
  }
  credentials.expiration = *expiration;
  return credentials;
}

adapters::errors::ProviderErrors const& ContainerCredentialsErrors() {
  // No vocabulary of its own beyond HTTP statuses (an agent may add a JSON
  // {"code", "message"}, passed on).
  static constexpr adapters::errors::ProviderErrors kErrors{
      "container-credentials", "the container credentials endpoint", {}};
  return kErrors;
}

adapters::errors::ProviderErrors const& InstanceMetadataErrors() {
  static constexpr adapters::errors::ProviderErrors kErrors{
      "ec2-instance-metadata", "EC2 instance metadata", {}};
  return kErrors;
}

}  // namespace linkgateway::adapters::auth
