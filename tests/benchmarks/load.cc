// The benchmark's load generator: keeps --concurrency calls in flight for
// --duration and prints one JSON line with throughput, latency percentiles and
// errors by code.
//
//   load --mode=gateway --target=127.0.0.1:PORT ...   gRPC async (callback) API
//   load --mode=direct  --target=http://127.0.0.1:PORT/registration ...
//                                                      libcurl (multi) directly
// In direct mode --timers also runs a chain of timers on the same transport
// loop the gateway's retries wait on (each due 1-20 ms after the last fired)
// and reports how late they fire.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/transport/curl_transport.h"
#include "grpcpp/grpcpp.h"
#include "linkgateway/v1/registrations.grpc.pb.h"

ABSL_FLAG(std::string, mode, "gateway", "gateway | direct");
ABSL_FLAG(std::string, target, "", "gateway host:port, or the upstream URL for direct");
ABSL_FLAG(int, concurrency, 64, "Calls in flight.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured time.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unmeasured time first.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "Deadline per call.");
ABSL_FLAG(std::string, ca_file, "", "Gateway mode: TLS, trusting this PEM CA bundle.");
ABSL_FLAG(std::string, cert_file, "", "Gateway mode: client certificate (PEM) for mTLS.");
ABSL_FLAG(std::string, key_file, "", "Gateway mode: the client certificate's key (PEM).");
ABSL_FLAG(std::string, token_file, "", "Gateway mode: send the token in it as a bearer token.");
ABSL_FLAG(bool, request_ids, false, "Gateway mode: a fresh request_id (AIP-155) on every call.");
ABSL_FLAG(std::string, upstream_ca_file, "", "Direct mode: trust this PEM CA bundle (HTTPS).");
ABSL_FLAG(bool, timers, false, "Direct mode: measure the transport loop's timer lateness.");
ABSL_FLAG(int, event_loops, 0, "Direct mode: the transport's event loops (0: one per core).");

namespace {

std::string ReadFileOrDie(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::cerr << "cannot read " << path << std::endl;
    std::exit(2);
  }
  return text;
}

std::shared_ptr<grpc::ChannelCredentials> GatewayCredentials() {
  if (absl::GetFlag(FLAGS_ca_file).empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileOrDie(absl::GetFlag(FLAGS_ca_file));
  if (!absl::GetFlag(FLAGS_cert_file).empty()) {
    options.pem_cert_chain = ReadFileOrDie(absl::GetFlag(FLAGS_cert_file));
    options.pem_private_key = ReadFileOrDie(absl::GetFlag(FLAGS_key_file));
  }
  return grpc::SslCredentials(options);
}

// "Bearer <token>" from --token_file, or empty.
std::string Authorization() {
  if (absl::GetFlag(FLAGS_token_file).empty()) return "";
  std::string token = ReadFileOrDie(absl::GetFlag(FLAGS_token_file));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return absl::StrCat("Bearer ", token);
}

// This process's CPU time (user + system) so far.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Shared by both modes: when to stop, and what was measured.
class Recorder {
 public:
  Recorder(absl::Time measure_from, absl::Time stop_at)
      : measure_from_(measure_from), stop_at_(stop_at) {}

  // Records one finished call; false when no new call should start.
  // `example` (an error message) is kept for the first call of each outcome.
  bool Done(absl::Time started, std::string const& outcome, std::string const& example = "") {
    absl::Time now = absl::Now();
    ++all_calls_;
    if (started >= measure_from_ && now <= stop_at_) {
      std::lock_guard<std::mutex> lock(mu_);
      latencies_us_.push_back(absl::ToInt64Microseconds(now - started));
      ++outcomes_[outcome];
      if (!example.empty()) examples_.emplace(outcome, example);
    }
    if (now < stop_at_) return true;
    if (--in_flight_ == 0) finished_.Notify();
    return false;
  }

  void Started(int n) { in_flight_ = n; }
  void Wait() { finished_.WaitForNotification(); }

  std::string Json(std::string const& mode, int concurrency, absl::Duration measured) {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) -> std::int64_t {
      if (latencies_us_.empty()) return 0;
      std::size_t i = std::min(latencies_us_.size() - 1,
                               static_cast<std::size_t>(p * latencies_us_.size()));
      return latencies_us_[i];
    };
    std::int64_t ok = outcomes_["OK"];
    std::vector<std::string> codes;
    for (auto const& [code, n] : outcomes_) codes.push_back(absl::StrCat("\"", code, "\":", n));
    std::vector<std::string> examples;
    for (auto const& [code, message] : examples_) {
      examples.push_back(absl::StrCat("\"", code, "\":\"", absl::CEscape(message), "\""));
    }
    return absl::StrCat(
        R"({"mode":")", mode, R"(","concurrency":)", concurrency,
        R"(,"seconds":)", absl::ToDoubleSeconds(measured), R"(,"calls":)", latencies_us_.size(),
        R"(,"ok_per_second":)", ok / absl::ToDoubleSeconds(measured),
        R"(,"p50_us":)", pct(0.50), R"(,"p90_us":)", pct(0.90), R"(,"p99_us":)", pct(0.99),
        R"(,"max_us":)", latencies_us_.empty() ? 0 : latencies_us_.back(),
        R"(,"all_calls":)", all_calls_.load(), R"(,"cpu_seconds":)", ProcessCpuSeconds(),
        R"(,"outcomes":{)", absl::StrJoin(codes, ","), R"(},"examples":{)",
        absl::StrJoin(examples, ","), "}", extra_, "}");
  }

  // More JSON members (",\"name\":value...") for the line.
  void Extra(std::string members) {
    std::lock_guard<std::mutex> lock(mu_);
    extra_ += members;
  }

 private:
  absl::Time const measure_from_;
  absl::Time const stop_at_;
  std::atomic<int> in_flight_{0};
  // Every call that finished, the warm-up's included: what the processes'
  // CPU time is divided by.
  std::atomic<std::int64_t> all_calls_{0};
  absl::Notification finished_;
  std::mutex mu_;
  std::vector<std::int64_t> latencies_us_;
  std::map<std::string, std::int64_t> outcomes_;
  std::map<std::string, std::string> examples_;
  std::string extra_;
};

// Timers on the transport's loop, one after another until `stop_at`, each
// due 1-20 ms after the previous fired; records how late each fired.
class TimerProbe {
 public:
  TimerProbe(linkgateway::adapters::transport::CurlTransport* transport, absl::Time stop_at)
      : transport_(transport), stop_at_(stop_at) {}

  void Next() {
    absl::Time due = absl::Now() + absl::Microseconds(absl::Uniform(random_, 1000, 20000));
    if (due > stop_at_) return done_.Notify();
    transport_->RunAt(due, [this, due] {
      late_us_.push_back(absl::ToInt64Microseconds(absl::Now() - due));
      Next();
    });
  }

  // ",\"timer_late_us\":{...}" once the chain ended.
  std::string Json() {
    done_.WaitForNotification();
    std::sort(late_us_.begin(), late_us_.end());
    auto pct = [&](double p) {
      return late_us_.empty() ? 0
                              : late_us_[std::min(late_us_.size() - 1,
                                                  static_cast<std::size_t>(p * late_us_.size()))];
    };
    return absl::StrCat(R"(,"timer_late_us":{"timers":)", late_us_.size(), R"(,"p50":)", pct(0.5),
                        R"(,"p99":)", pct(0.99), R"(,"max":)",
                        late_us_.empty() ? 0 : late_us_.back(), "}");
  }

 private:
  linkgateway::adapters::transport::CurlTransport* const transport_;
  absl::Time const stop_at_;
  absl::BitGen random_;  // only the loop's thread touches it after Next()
  std::vector<std::int64_t> late_us_;
  absl::Notification done_;
};

// A version 4 UUID.
std::string NewRequestId() {
  thread_local absl::BitGen random;
  std::string hex = absl::StrFormat("%016x%016x", absl::Uniform<std::uint64_t>(random),
                                    absl::Uniform<std::uint64_t>(random));
  hex[12] = '4';
  hex[16] = "89ab"[absl::Uniform(random, 0, 4)];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

// One gRPC call after another on the same slot, until the recorder says stop.
class GatewaySlot {
 public:
  GatewaySlot(linkgateway::v1::RegistrationService::Stub* stub, Recorder* recorder,
              std::string authorization)
      : stub_(stub), recorder_(recorder), authorization_(std::move(authorization)) {
    request_.mutable_dash_replenishment()->set_access_token("Atza|benchmark-token");
  }

  void Next() {
    if (absl::GetFlag(FLAGS_request_ids)) request_.set_request_id(NewRequestId());
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
    if (!authorization_.empty()) context_->AddMetadata("authorization", authorization_);
    started_ = absl::Now();
    stub_->async()->DeleteRegistration(context_.get(), &request_, &response_,
                                       [this](grpc::Status status) {
                                         std::string outcome =
                                             status.ok() ? "OK" : absl::StrCat("grpc_", status.error_code());
                                         if (recorder_->Done(started_, outcome,
                                                             status.error_message())) {
                                           Next();
                                         }
                                       });
  }

 private:
  linkgateway::v1::RegistrationService::Stub* stub_;
  Recorder* recorder_;
  std::string const authorization_;
  linkgateway::v1::DeleteRegistrationRequest request_;
  linkgateway::v1::DeleteRegistrationResponse response_;
  std::unique_ptr<grpc::ClientContext> context_;
  absl::Time started_;
};

void DirectSlot(linkgateway::adapters::transport::CurlTransport* transport, Recorder* recorder,
                std::string const& url) {
  linkgateway::adapters::transport::HttpRequest request;
  request.method = "DELETE";
  request.url = url;
  request.headers = {{"Authorization", "Bearer Atza|benchmark-token"},
                     {"x-amzn-type-version", "com.amazon.dash.replenishment.DrsDeregisterInput@2.0"},
                     {"x-amzn-accept-type", "com.amazon.dash.replenishment.DrsDeregisterResult@1.0"},
                     {"Accept", "application/json"}};
  request.deadline = absl::Now() + absl::GetFlag(FLAGS_timeout);
  absl::Time started = absl::Now();
  transport->Send(request, nullptr,
                  [transport, recorder, url, started](
                      absl::StatusOr<linkgateway::adapters::transport::HttpResponse> response) {
                    std::string outcome =
                        !response.ok()          ? "transport_error"
                        : response->status == 200 ? "OK"
                                                  : absl::StrCat("http_", response->status);
                    if (recorder->Done(started, outcome)) DirectSlot(transport, recorder, url);
                  });
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string mode = absl::GetFlag(FLAGS_mode);
  int concurrency = absl::GetFlag(FLAGS_concurrency);
  absl::Time start = absl::Now();
  absl::Time measure_from = start + absl::GetFlag(FLAGS_warmup);
  absl::Duration measured = absl::GetFlag(FLAGS_duration);
  Recorder recorder(measure_from, measure_from + measured);
  recorder.Started(concurrency);

  if (mode == "gateway") {
    // One connection per 200 calls in flight, as a client that needs many
    // calls at once pools channels: the gateway allows 256 per connection.
    std::vector<std::unique_ptr<linkgateway::v1::RegistrationService::Stub>> stubs;
    auto credentials = GatewayCredentials();
    std::string authorization = Authorization();
    for (int i = 0; i < (concurrency + 199) / 200; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("linkgateway.benchmark.channel", i);  // a connection of its own
      stubs.push_back(linkgateway::v1::RegistrationService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_target), credentials, args)));
    }
    std::vector<std::unique_ptr<GatewaySlot>> slots;
    for (int i = 0; i < concurrency; ++i) {
      slots.push_back(
          std::make_unique<GatewaySlot>(stubs[i % stubs.size()].get(), &recorder, authorization));
    }
    for (auto& slot : slots) slot->Next();
    recorder.Wait();
  } else {
    linkgateway::adapters::transport::CurlTransportOptions options;
    options.allow_plain_http = true;
    options.ca_bundle_file = absl::GetFlag(FLAGS_upstream_ca_file);
    options.event_loops = absl::GetFlag(FLAGS_event_loops);
    linkgateway::adapters::transport::CurlTransport transport(options);
    std::unique_ptr<TimerProbe> timers;
    if (absl::GetFlag(FLAGS_timers)) {
      timers = std::make_unique<TimerProbe>(&transport, measure_from + measured);
      timers->Next();
    }
    for (int i = 0; i < concurrency; ++i) {
      DirectSlot(&transport, &recorder, absl::GetFlag(FLAGS_target));
    }
    recorder.Wait();
    if (timers != nullptr) recorder.Extra(timers->Json());
  }
  std::cout << recorder.Json(mode, concurrency, measured) << std::endl;
  return 0;
}
