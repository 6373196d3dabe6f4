// libFuzzer target: the parsers of what providers answer. The first byte
// picks the parser, the rest is the input; every one must return a value or
// an error, never crash, hang or read out of bounds (ASan, UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/clock.h"
#include "adapters/auth/aws_profile_files.h"
#include "adapters/auth/aws_static_credentials.h"
#include "adapters/auth/credential_endpoints.h"
#include "adapters/auth/sts_client.h"
#include "adapters/imiconnect/imiconnect.h"
#include "adapters/sms_voice/sms_voice.h"
#include "adapters/transport/http.h"

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<char const*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0:  // SMS and Voice DeleteRegistration result (JSON)
      (void)linkgateway::adapters::sms_voice::ParseRegistration(input);
      break;
    case 1:  // IMIconnect answer, both envelopes
      (void)linkgateway::adapters::imiconnect::ParseEnvelope(input);
      break;
    case 2: {  // Retry-After: delta-seconds or an HTTP-date
      linkgateway::adapters::transport::HttpResponse response;
      response.status = 503;
      response.headers.push_back({"retry-after", input});
      (void)linkgateway::adapters::transport::RetryAfter(response, absl::Now());
      break;
    }
    case 3:  // the shared AWS credentials file
      (void)linkgateway::adapters::auth::ParseAwsCredentialsFile(input, "gateway");
      break;
    case 4: {  // AWS STS answers (XML): credentials, then an error
      (void)linkgateway::adapters::auth::ParseStsCredentials("AssumeRole", input);
      linkgateway::adapters::transport::HttpResponse response;
      response.status = 403;
      response.body = input;
      (void)linkgateway::adapters::auth::StsError(response, absl::Now());
      break;
    }
    case 5:  // the container endpoint's and IMDS's credentials document
      (void)linkgateway::adapters::auth::ParseCredentialsDocument(
          linkgateway::adapters::auth::InstanceMetadataErrors(), input);
      break;
    default: {  // the shared AWS config file
      auto sections = linkgateway::adapters::auth::ParseIniSections(input);
      if (sections.ok()) (void)linkgateway::adapters::auth::ConfigFileProfiles(*sections);
      break;
    }
  }
  return 0;
}
