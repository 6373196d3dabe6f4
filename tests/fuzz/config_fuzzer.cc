// libFuzzer target: what the gateway loads from files — its configuration
// (text format, defaults and checks), the authorization policy (JSON) and
// the bearer-token file. The first byte picks the loader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "server/security/authorization_policy.h"
#include "server/security/token_file.h"

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<char const*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      (void)linkgateway::config::ParseConfig(input, "fuzz.textproto");
      break;
    case 1:
      if (auto policy = linkgateway::server::security::AuthorizationPolicy::Parse(input);
          policy.ok()) {
        (void)policy->Evaluate({"spiffe://fuzz/caller", "/linkgateway.v1.X/Y", "sms_voice", "eu"});
      }
      break;
    default:
      (void)linkgateway::server::security::ParseTokenFile(input);
      break;
  }
  return 0;
}
