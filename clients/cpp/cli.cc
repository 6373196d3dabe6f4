// linkgateway_cli: calls any linkgateway RPC and prints the answer as JSON.
//
//   linkgateway_cli [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
//                   [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']
//
// The contract every linkgateway CLI keeps (docs/clients/index.md): the
// request is proto3 JSON ("-" reads standard input; default {}); the answer
// is one line of proto3 JSON, one line per message for watch-unlink; a failed
// call prints {"error": {...}} and exits with its gRPC code; a usage error
// exits 64. Flags are parsed here, not by absl::flags: the contract's
// spelling (--ca-file, "--timeout 5" or "5s", exit 64) is not abseil's.
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cpp/client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace {

using linkgateway::clients::cpp::Client;
namespace v1 = linkgateway::v1;
namespace lro = google::longrunning;

constexpr int kUsage = 64;
constexpr char kHelp[] =
    "linkgateway_cli [--target HOST:PORT] [--timeout DURATION] [--ca-file F]\n"
    "                [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']\n";

// A JSON string literal, escaped by protobuf's JSON printer.
std::string Quote(std::string_view text) {
  google::protobuf::Value value;
  value.set_string_value(std::string(text));
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

// The CLI contract's error object, in its key order: code, message, then
// reason, domain, metadata (keys sorted), upstreamRequestId,
// retryDelaySeconds, fieldViolations when present.
std::string ErrorJson(absl::Status const& status) {
  linkgateway::clients::cpp::ErrorDetails details = linkgateway::clients::cpp::Explain(status);
  std::string out =
      absl::StrCat("{\"error\":{\"code\":", Quote(absl::StatusCodeToString(details.code)),
                   ",\"message\":", Quote(details.message));
  if (details.has_error_info) {
    absl::StrAppend(&out, ",\"reason\":", Quote(details.reason),
                    ",\"domain\":", Quote(details.domain), ",\"metadata\":{");
    absl::StrAppend(&out, absl::StrJoin(details.metadata, ",", [](std::string* s, auto const& kv) {
      absl::StrAppend(s, Quote(kv.first), ":", Quote(kv.second));
    }));
    out += "}";
    if (auto id = details.metadata.find("upstreamRequestId");
        id != details.metadata.end() && !id->second.empty()) {
      absl::StrAppend(&out, ",\"upstreamRequestId\":", Quote(id->second));
    }
  }
  if (details.retry_delay) {
    // Exact seconds (up to nanoseconds), as the other languages print them.
    int64_t nanos = absl::ToInt64Nanoseconds(*details.retry_delay);
    std::string fraction = absl::StrFormat("%09d", nanos % 1000000000);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ",\"retryDelaySeconds\":", nanos / 1000000000,
                    fraction.empty() ? "" : ".", fraction);
  }
  if (details.has_bad_request) {
    out += ",\"fieldViolations\":[";
    out += absl::StrJoin(details.field_violations, ",", [](std::string* s, auto const& v) {
      absl::StrAppend(s, "{\"field\":", Quote(v.first), ",\"description\":", Quote(v.second), "}");
    });
    out += "]";
  }
  return out + "}}";
}

void PrintJson(google::protobuf::Message const& message) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  std::cout << out << std::endl;
}

// One verb: parses the request JSON, calls, prints; returns the exit status.
using Verb = std::function<int(std::string const& json, Client& client, absl::Duration timeout)>;

template <typename Request>
std::optional<Request> Parse(std::string const& json) {
  Request request;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(json, &request); !parsed.ok()) {
    std::cerr << "linkgateway_cli: the request is not valid JSON for "
              << Request::descriptor()->full_name() << ": " << parsed.message() << "\n";
    return std::nullopt;
  }
  return request;
}

template <typename Request, typename Response>
Verb Unary(absl::StatusOr<Response> (Client::*method)(Request const&, absl::Duration)) {
  return [method](std::string const& json, Client& client, absl::Duration timeout) {
    std::optional<Request> request = Parse<Request>(json);
    if (!request) return kUsage;
    absl::StatusOr<Response> response = (client.*method)(*request, timeout);
    if (!response.ok()) {
      std::cout << ErrorJson(response.status()) << std::endl;
      return static_cast<int>(response.status().code());
    }
    PrintJson(*response);
    return 0;
  };
}

int Watch(std::string const& json, Client& client, absl::Duration timeout) {
  std::optional<v1::WatchUnlinkRequest> request = Parse<v1::WatchUnlinkRequest>(json);
  if (!request) return kUsage;
  absl::Status status = client.WatchUnlink(*request, PrintJson, timeout);
  if (!status.ok()) {
    std::cout << ErrorJson(status) << std::endl;
    return static_cast<int>(status.code());
  }
  return 0;
}

std::vector<std::pair<std::string, Verb>> const& Verbs() {
  static auto const* verbs = new std::vector<std::pair<std::string, Verb>>{
      {"delete-registration", Unary(&Client::DeleteRegistration)},
      {"get-subscription-info", Unary(&Client::GetSubscriptionInfo)},
      {"delete-subscription", Unary(&Client::DeleteSubscription)},
      {"delete-app-profile", Unary(&Client::DeleteAppProfile)},
      {"get-profile-transaction", Unary(&Client::GetProfileTransaction)},
      {"start-unlink", Unary(&Client::StartUnlink)},
      {"watch-unlink", Watch},
      {"get-operation", Unary(&Client::GetOperation)},
      {"list-operations", Unary(&Client::ListOperations)},
      {"cancel-operation", Unary(&Client::CancelOperation)},
      {"wait-operation", Unary(&Client::WaitOperation)},
      {"delete-operation", Unary(&Client::DeleteOperation)},
      {"health-check", Unary(&Client::Check)},
  };
  return *verbs;
}

std::string Help() {
  std::vector<std::string> names;
  for (auto const& [name, verb] : Verbs()) names.push_back(name);
  return absl::StrCat(kHelp, "VERB: ", absl::StrJoin(names, ", "), "\n");
}

int Usage(std::string const& problem) {
  std::cerr << "linkgateway_cli: " << problem << "\n" << Help();
  return kUsage;
}

// A number of seconds, or a number with one unit: 5, 5s, 2.5s, 500ms, 1m, 1h
// (the other CLIs' ^(\d+(\.\d+)?)(ms|s|m|h)?$; no <regex>: GCC 12 warns
// in it under the sanitizers).
std::optional<absl::Duration> ParseDuration(std::string const& text) {
  size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0) return std::nullopt;
  size_t end = digits;
  if (end != std::string::npos && text[end] == '.') {
    end = text.find_first_not_of("0123456789", end + 1);
    if (end == digits + 1) return std::nullopt;  // "5." has no fraction
  }
  std::string number = text.substr(0, end);
  std::string unit = end == std::string::npos ? "" : text.substr(end);
  static auto const* const unit_seconds =
      new std::map<std::string, double>{{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}};
  auto factor = unit_seconds->find(unit);
  double seconds = 0;
  if (factor == unit_seconds->end() || !absl::SimpleAtod(number, &seconds) || seconds <= 0) {
    return std::nullopt;
  }
  return absl::Seconds(seconds * factor->second);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << Help();
    return 0;
  }
  // --flag VALUE or --flag=VALUE; then VERB and an optional request.
  std::map<std::string, std::string> flags = {{"--target", "127.0.0.1:50051"}, {"--timeout", "30"}};
  std::vector<std::string> const known = {"--target",    "--timeout",  "--ca-file",
                                          "--cert-file", "--key-file", "--token-file"};
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string const& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    size_t equals = arg.find('=');
    std::string name = arg.substr(0, equals);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Usage("unknown flag " + name);
    }
    if (equals != std::string::npos) {
      flags[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      flags[name] = args[++i];
    } else {
      return Usage(name + " needs a value");
    }
  }
  if (positional.empty() || positional.size() > 2) {
    return Usage("expected VERB and an optional REQUEST JSON");
  }
  Verb const* verb = nullptr;
  for (auto const& [name, v] : Verbs()) {
    if (name == positional[0]) verb = &v;
  }
  if (verb == nullptr) return Usage("unknown verb " + positional[0]);
  if (flags.count("--cert-file") != flags.count("--key-file")) {
    return Usage("--cert-file and --key-file go together");
  }
  std::optional<absl::Duration> timeout = ParseDuration(flags["--timeout"]);
  if (!timeout) {
    return Usage("--timeout " + flags["--timeout"] + ": not a duration (e.g. 30, 30s, 500ms, 2m)");
  }
  std::string json = positional.size() > 1 ? positional[1] : "{}";
  if (json == "-") json.assign(std::istreambuf_iterator<char>(std::cin), {});

  linkgateway::clients::cpp::ClientOptions options;
  options.target = flags["--target"];
  options.ca_file = flags["--ca-file"];
  options.cert_file = flags["--cert-file"];
  options.key_file = flags["--key-file"];
  // The other CLIs make one attempt per call: so does this one.
  options.max_attempts = 1;
  if (flags.count("--token-file")) {
    std::ifstream in(flags["--token-file"]);
    if (!in || !std::getline(in, options.bearer_token) || options.bearer_token.empty()) {
      std::cerr << "linkgateway_cli: cannot read a token from " << flags["--token-file"] << "\n";
      return kUsage;
    }
    options.bearer_token.erase(options.bearer_token.find_last_not_of(" \t\r") + 1);
  }
  auto client = Client::Create(options);
  if (!client.ok()) {
    std::cerr << "linkgateway_cli: " << client.status().message() << "\n";
    return kUsage;
  }
  return (*verb)(json, **client, *timeout);
}
