#include "adapters/auth/sts_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/auth/aws_sigv4.h"
#include "adapters/auth/xml_text.h"
#include "adapters/transport/url.h"

namespace linkgateway::adapters::auth {
namespace {

constexpr char kVersion[] = "2011-06-15";

std::vector<std::pair<std::string, std::string>> RoleForm(AssumeRoleParams const& params) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"RoleArn", params.role_arn}, {"RoleSessionName", params.role_session_name}};
  if (params.duration_seconds) {
    form.emplace_back("DurationSeconds", absl::StrCat(*params.duration_seconds));
  }
  return form;
}

}  // namespace

std::string StsEndpointFor(absl::string_view region) {
  return absl::StrCat("https://sts.", region, ".amazonaws.com");
}

StsClient::StsClient(StsOptions options, adapters::transport::HttpTransport& transport,
                     adapters::async::Scheduler& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock) {}

void StsClient::AssumeRole(AssumeRoleParams const& params, AwsCredentials const& source,
                           absl::Time deadline, adapters::transport::Done<AwsCredentials> done) {
  auto form = RoleForm(params);
  if (!params.external_id.empty()) form.emplace_back("ExternalId", params.external_id);
  Send("AssumeRole", std::move(form), &source, deadline, std::move(done));
}

void StsClient::AssumeRoleWithWebIdentity(AssumeRoleParams const& params,
                                          std::string const& web_identity_token,
                                          absl::Time deadline,
                                          adapters::transport::Done<AwsCredentials> done) {
  auto form = RoleForm(params);
  form.emplace_back("WebIdentityToken", web_identity_token);
  Send("AssumeRoleWithWebIdentity", std::move(form), nullptr, deadline, std::move(done));
}

void StsClient::Send(std::string action, std::vector<std::pair<std::string, std::string>> form,
                     AwsCredentials const* signer, absl::Time deadline,
                     adapters::transport::Done<AwsCredentials> done) {
  form.insert(form.begin(), {{"Action", action}, {"Version", kVersion}});
  adapters::transport::HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(absl::StripSuffix(options_.endpoint, "/"), "/");
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = adapters::transport::FormEncode(form);
  absl::Time now = clock_.Now();
  request.deadline = std::min(deadline, now + options_.request_timeout);
  if (signer != nullptr) {
    // Signed with the wall clock: AWS checks the signature's time against its
    // own, whatever the scheduler's clock says.
    absl::Status signed_ok = SignSigV4(request, {options_.region, "sts"}, *signer, absl::Now());
    if (!signed_ok.ok()) {
      adapters::errors::MarkNotSent(signed_ok);
      return std::move(done)(signed_ok);
    }
  }
  // The callback may outlive this client (a transfer ended at shutdown); the
  // clock is the transport's.
  transport_.Send(std::move(request), nullptr,
                  [clock = &clock_, action = std::move(action), done = std::move(done)](
                      absl::StatusOr<adapters::transport::HttpResponse> response) mutable {
                    absl::StatusOr<AwsCredentials> result =
                        !response.ok()
                            ? adapters::errors::AttributeTo(StsErrors(), response.status())
                        : response->status == 200 ? ParseStsCredentials(action, response->body)
                                                  : StsError(*response, clock->Now());
                    if (!result.ok()) {
                      // The operation's own upstream was never called.
                      absl::Status status = result.status();
                      adapters::errors::MarkNotSent(status);
                      result = std::move(status);
                    }
                    std::move(done)(std::move(result));
                  });
}

absl::StatusOr<AwsCredentials> ParseStsCredentials(absl::string_view action,
                                                   absl::string_view xml) {
  auto texts = ParseXmlTexts(xml);
  if (!texts.ok()) {
    return adapters::errors::MalformedResponse(
        StsErrors(),
        absl::StrCat("the ", action, " answer is not XML: ", texts.status().message()));
  }
  std::string const prefix = absl::StrCat(action, "Response/", action, "Result/Credentials/");
  AwsCredentials credentials;
  credentials.access_key_id = XmlText(*texts, prefix + "AccessKeyId");
  credentials.secret_access_key = XmlText(*texts, prefix + "SecretAccessKey");
  credentials.session_token = XmlText(*texts, prefix + "SessionToken");
  auto expiration = ParseAwsTimestamp(XmlText(*texts, prefix + "Expiration"));
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
      credentials.session_token.empty() || !expiration.ok()) {
    return adapters::errors::MalformedResponse(
        StsErrors(), absl::StrCat("the ", action,
                                  " answer lacks AccessKeyId, SecretAccessKey, SessionToken or a "
                                  "valid Expiration"));
  }
  credentials.expiration = *expiration;
  return credentials;
}

absl::Status StsError(adapters::transport::HttpResponse const& response, absl::Time now) {
  adapters::errors::UpstreamError error =
      adapters::errors::ErrorFromResponse(StsErrors(), response, now);
  auto texts = ParseXmlTexts(response.body);
  if (texts.ok()) {
    error.vendor_code = XmlText(*texts, "ErrorResponse/Error/Code");
    error.message = XmlText(*texts, "ErrorResponse/Error/Message");
    if (error.request_id.empty()) error.request_id = XmlText(*texts, "ErrorResponse/RequestId");
  }
  return adapters::errors::MapUpstreamError(error);
}

}  // namespace linkgateway::adapters::auth
