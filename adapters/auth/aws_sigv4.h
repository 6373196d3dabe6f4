// AWS Signature Version 4 for one HTTP request (the header form: Host,
// X-Amz-Date, X-Amz-Security-Token and Authorization are added). The HTTP
// transport stays vendor-neutral: adapters sign a request before sending it,
// and each attempt is signed anew.
//
// Hand-written on OpenSSL's SHA-256 and HMAC (libcurl's CURLOPT_AWS_SIGV4
// would tie AWS credentials to the transport); verified against botocore's
// signer in aws_sigv4_test.
#ifndef LINKGATEWAY_ADAPTERS_AUTH_AWS_SIGV4_H_
#define LINKGATEWAY_ADAPTERS_AUTH_AWS_SIGV4_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/auth/aws_credentials.h"
#include "adapters/transport/http.h"

namespace linkgateway::adapters::auth {

struct SigV4Scope {
  std::string region;   // e.g. "us-east-1"
  std::string service;  // signing name, e.g. "sms-voice"
};

// Signs `request` (method, URL, headers, body) as of `now`. Every header the
// request carries is signed. INVALID_ARGUMENT only for a URL that cannot be
// parsed (a gateway bug, never caller input).
absl::Status SignSigV4(adapters::transport::HttpRequest& request, SigV4Scope const& scope,
                       AwsCredentials const& credentials, absl::Time now);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_AWS_SIGV4_H_
