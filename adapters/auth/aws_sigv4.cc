#include "adapters/auth/aws_sigv4.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace linkgateway::adapters::auth {
namespace {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(digest), sizeof(digest)));
}

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<unsigned char const*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char const*>(out), length);
}

// SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper case).
std::string UriEncode(absl::string_view s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::AsciiStrToUpper(absl::BytesToHexString(
                                     absl::string_view(reinterpret_cast<char*>(&c), 1))));
    }
  }
  return out;
}

struct UrlParts {
  std::string host;  // as the Host header carries it (with a non-default port)
  std::string path;
  std::string query;
};

absl::StatusOr<UrlParts> Split(std::string const& url) {
  CURLU* parsed = curl_url();
  UrlParts parts;
  bool ok = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  for (auto [part, out] : {std::pair{CURLUPART_HOST, &parts.host},
                           std::pair{CURLUPART_PATH, &parts.path},
                           std::pair{CURLUPART_QUERY, &parts.query}}) {
    char* value = nullptr;
    if (ok && curl_url_get(parsed, part, &value, 0) == CURLUE_OK) *out = value;
    curl_free(value);
  }
  char* port = nullptr;  // only when the URL names one
  if (ok && curl_url_get(parsed, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
    absl::StrAppend(&parts.host, ":", port);
  }
  curl_free(port);
  curl_url_cleanup(parsed);
  if (!ok || parts.host.empty()) {
    return absl::InvalidArgumentError("cannot sign a request whose URL cannot be parsed");
  }
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

// Non-S3 services: each path segment is URI-encoded once more (the path in
// the URL is already percent-encoded).
std::string CanonicalUri(absl::string_view path) { return UriEncode(path, /*keep_slash=*/true); }

std::string CanonicalQuery(absl::string_view query) {
  if (query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (absl::string_view item : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    pairs.push_back(std::move(kv));
  }
  std::sort(pairs.begin(), pairs.end());
  return absl::StrJoin(pairs, "&", [](std::string* out, auto const& kv) {
    absl::StrAppend(out, kv.first, "=", kv.second);
  });
}

}  // namespace

absl::Status SignSigV4(adapters::transport::HttpRequest& request, SigV4Scope const& scope,
                       AwsCredentials const& credentials, absl::Time now) {
  auto url = Split(request.url);
  if (!url.ok()) return url.status();
  std::string amz_date = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  std::string date = amz_date.substr(0, 8);

  request.headers.emplace_back("Host", url->host);
  request.headers.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  // name (lower case) -> values, trimmed; repeated headers join with commas.
  std::map<std::string, std::vector<std::string>> headers;
  for (auto const& [name, value] : request.headers) {
    headers[absl::AsciiStrToLower(name)].push_back(
        std::string(absl::StripAsciiWhitespace(value)));
  }
  std::string canonical_headers;
  std::vector<absl::string_view> names;
  for (auto const& [name, values] : headers) {
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","), "\n");
    names.push_back(name);
  }
  std::string signed_headers = absl::StrJoin(names, ";");

  std::string canonical_request =
      absl::StrCat(request.method, "\n", CanonicalUri(url->path), "\n",
                   CanonicalQuery(url->query), "\n", canonical_headers, "\n", signed_headers,
                   "\n", Sha256Hex(request.body));
  std::string credential_scope =
      absl::StrCat(date, "/", scope.region, "/", scope.service, "/aws4_request");
  std::string string_to_sign = absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n",
                                            credential_scope, "\n", Sha256Hex(canonical_request));
  std::string key = Hmac(absl::StrCat("AWS4", credentials.secret_access_key), date);
  key = Hmac(key, scope.region);
  key = Hmac(key, scope.service);
  key = Hmac(key, "aws4_request");
  std::string signature = absl::BytesToHexString(Hmac(key, string_to_sign));

  request.headers.emplace_back(
      "Authorization",
      absl::StrCat("AWS4-HMAC-SHA256 Credential=", credentials.access_key_id, "/",
                   credential_scope, ", SignedHeaders=", signed_headers,
                   ", Signature=", signature));
  return absl::OkStatus();
}

}  // namespace linkgateway::adapters::auth
